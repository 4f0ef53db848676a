import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * A small kustomize renderer for the tests: no kubectl or kustomize runs here, so the spec renders
 * the overlay itself. It implements exactly the kustomization fields this folder uses and refuses
 * any other, so a new field (patches, replicas, namePrefix...) fails the spec loudly instead of
 * being ignored: extend the renderer with it, honestly, before relying on it.
 *
 * Known differences from kustomize, on purpose:
 * - generated ConfigMaps and Secrets keep their plain names (kustomize appends a content hash and
 *   rewrites the references to them; references by plain name are what the manifests contain);
 * - a secretGenerator's files are not read (the real ones are git-ignored and absent in CI): the
 *   generator is reported in `secretGenerators`, with its files, for the spec to check.
 */

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface SecretGeneratorInfo {
  name: string;
  /** Absolute paths of the env files the Secret's keys come from. */
  envFiles: string[];
  /** The kustomization.yaml that declares it. */
  declaredIn: string;
}

export interface Rendered {
  resources: Manifest[];
  secretGenerators: SecretGeneratorInfo[];
  /** Every kustomization.yaml read, overlay first. */
  kustomizations: { file: string; content: Kustomization }[];
  /** Every resource file read. */
  resourceFiles: string[];
}

interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

interface ConfigMapGenerator {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  literals?: string[];
  envs?: string[];
}

interface SecretGenerator {
  name: string;
  envs?: string[];
  type?: string;
  /** e.g. disableNameSuffixHash, for a Secret named by resources kustomize does not rewrite (KEDA's). */
  options?: { disableNameSuffixHash?: boolean };
}

export interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  images?: ImageOverride[];
  configMapGenerator?: ConfigMapGenerator[];
  secretGenerator?: SecretGenerator[];
}

const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'configMapGenerator', 'secretGenerator']);
const SUPPORTED_CONFIGMAP_FIELDS = new Set(['name', 'behavior', 'literals', 'envs']);
const SUPPORTED_SECRET_FIELDS = new Set(['name', 'envs', 'type', 'options']);
/** Kinds kustomize's namespace transformer leaves alone (the ones this folder could use). */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass']);

export class KustomizeError extends Error {}

function fail(message: string): never {
  throw new KustomizeError(message);
}

function unsupported(where: string, object: object, supported: Set<string>): void {
  const extra = Object.keys(object).filter((key) => !supported.has(key));
  if (extra.length > 0) fail(`${where}: unsupported field(s) ${extra.join(', ')}; extend deploy/kubernetes/kustomize.ts before using them`);
}

/** Parses every document of a YAML file; a syntax error names the file. */
export function readYamlDocuments(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).flatMap((document) => {
    if (document.errors.length > 0) fail(`${file}: ${document.errors.map((error) => error.message).join('; ')}`);
    const value = document.toJS() as unknown;
    return value === null || value === undefined ? [] : [value];
  });
}

function asManifest(value: unknown, file: string): Manifest {
  const candidate = value as Partial<Manifest>;
  if (typeof candidate !== 'object' || !candidate.apiVersion || !candidate.kind || !candidate.metadata?.name) {
    fail(`${file}: every document needs apiVersion, kind and metadata.name`);
  }
  return candidate as Manifest;
}

const keyOf = (manifest: Manifest) => `${manifest.kind}/${manifest.metadata.namespace ?? ''}/${manifest.metadata.name}`;

/** `KEY=value` lines (literals or an env file): the value is everything after the first `=`. */
function parseKeyValue(line: string, where: string): [string, string] {
  const index = line.indexOf('=');
  if (index <= 0) fail(`${where}: "${line}" is not KEY=value`);
  const key = line.slice(0, index).trim();
  let value = line.slice(index + 1);
  if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
  return [key, value];
}

function readEnvFile(file: string): [string, string][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => parseKeyValue(line, file));
}

/** Splits `registry:5000/repo/name:tag@sha256:...` into name, tag and digest. */
export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const [withoutDigest, digest] = image.split('@');
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > lastSlash) return { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1), digest };
  return { name: withoutDigest, digest };
}

/** Every container list in a workload, wherever its pod template is. */
export function containersOf(manifest: Manifest): { image?: string; [field: string]: unknown }[] {
  type PodSpec = { containers?: { image?: string }[]; initContainers?: { image?: string }[] };
  const spec = manifest.spec as { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } } | undefined;
  const podSpec = spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec;
  return [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])];
}

function applyImages(resources: Manifest[], images: ImageOverride[], where: string): void {
  for (const override of images) {
    unsupported(`${where} images[${override.name}]`, override, new Set(['name', 'newName', 'newTag', 'digest']));
    for (const container of resources.flatMap(containersOf)) {
      if (!container.image) continue;
      const current = splitImage(container.image);
      if (current.name !== override.name) continue;
      const name = override.newName ?? current.name;
      const tag = override.newTag ?? current.tag;
      const digest = override.digest ?? current.digest;
      container.image = `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
    }
  }
}

/** Renders the kustomization in `dir` (a folder with kustomization.yaml), bases first. */
export function renderKustomization(dir: string): Rendered {
  const file = path.join(dir, 'kustomization.yaml');
  if (!existsSync(file)) fail(`${dir}: no kustomization.yaml`);
  const [raw] = readYamlDocuments(file);
  const kustomization = (raw ?? {}) as Kustomization;
  unsupported(file, kustomization, SUPPORTED_FIELDS);

  const rendered: Rendered = { resources: [], secretGenerators: [], kustomizations: [{ file, content: kustomization }], resourceFiles: [] };
  const add = (manifest: Manifest, from: string) => {
    if (rendered.resources.some((existing) => keyOf(existing) === keyOf(manifest))) fail(`${from}: ${keyOf(manifest)} is defined twice`);
    rendered.resources.push(manifest);
  };

  for (const entry of kustomization.resources ?? []) {
    if (/^[a-z]+:\/\//i.test(entry)) fail(`${file}: remote resource ${entry} is not supported`);
    const target = path.resolve(dir, entry);
    if (!existsSync(target)) fail(`${file}: resource ${entry} does not exist`);
    if (statSync(target).isDirectory()) {
      const base = renderKustomization(target);
      base.resources.forEach((manifest) => add(manifest, target));
      rendered.secretGenerators.push(...base.secretGenerators);
      rendered.kustomizations.push(...base.kustomizations);
      rendered.resourceFiles.push(...base.resourceFiles);
    } else {
      rendered.resourceFiles.push(target);
      readYamlDocuments(target).forEach((document) => add(asManifest(document, target), target));
    }
  }

  for (const generator of kustomization.configMapGenerator ?? []) {
    unsupported(`${file} configMapGenerator[${generator.name}]`, generator, SUPPORTED_CONFIGMAP_FIELDS);
    const data: Record<string, string> = Object.fromEntries([
      ...(generator.envs ?? []).flatMap((envFile) => readEnvFile(path.resolve(dir, envFile))),
      ...(generator.literals ?? []).map((literal) => parseKeyValue(literal, `${file} configMapGenerator[${generator.name}]`)),
    ]);
    const existing = rendered.resources.find((manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.name === generator.name);
    const behavior = generator.behavior ?? 'create';
    if (behavior === 'create') {
      if (existing) fail(`${file}: configMapGenerator ${generator.name} already exists (use behavior: merge or replace)`);
      add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data }, file);
    } else {
      if (!existing) fail(`${file}: configMapGenerator ${generator.name} has behavior ${behavior} but no base defines it`);
      existing.data = behavior === 'merge' ? { ...(existing.data as Record<string, string>), ...data } : data;
    }
  }

  for (const generator of kustomization.secretGenerator ?? []) {
    unsupported(`${file} secretGenerator[${generator.name}]`, generator, SUPPORTED_SECRET_FIELDS);
    rendered.secretGenerators.push({ name: generator.name, envFiles: (generator.envs ?? []).map((envFile) => path.resolve(dir, envFile)), declaredIn: file });
  }

  if (kustomization.namespace) {
    for (const manifest of rendered.resources) {
      if (!CLUSTER_SCOPED.has(manifest.kind)) manifest.metadata.namespace = kustomization.namespace;
    }
  }
  applyImages(rendered.resources, kustomization.images ?? [], file);
  return rendered;
}
