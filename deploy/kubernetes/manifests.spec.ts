import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RELAY_SERVICES, ServiceTopology } from '@relay/contracts';
import { maxOldSpaceMb, maxSemiSpaceMb } from '@relay/local-stack';
import { EnvExample, readEnvExample } from '@relay/testing';
import { containersOf, KustomizeError, Manifest, readYamlDocuments, Rendered, renderKustomization, splitImage } from './kustomize';

/*
 * No cluster runs here, so this spec renders the production overlay itself (./kustomize.ts) and
 * checks what must hold for the services to run, scale and stop correctly. Each check collects
 * every problem it finds and expects none, so a failure lists all of them.
 */

const overlayDir = path.join(__dirname, 'overlays', 'production');

/** The topics each service's consumer group reads: the topology's, as the services subscribe. */
const CONSUMES: Record<string, readonly string[]> = Object.fromEntries(RELAY_SERVICES.map((service) => [service, ServiceTopology[service].consumes]));
const SERVICES: readonly string[] = RELAY_SERVICES;
const IMAGE_REPOSITORY = 'ghcr.io/relay';

// ---------------------------------------------------------------------------------------------
// Typed views of the manifests (only the fields the checks read)

interface Probe {
  httpGet?: { path?: string; port?: number | string };
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string }; fieldRef?: unknown; resourceFieldRef?: unknown };
}
interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string }; prefix?: string }[];
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command?: string[] }; sleep?: { seconds?: number } } };
  securityContext?: { runAsNonRoot?: boolean; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}
interface Deployment extends Manifest {
  spec: { replicas?: number; selector: { matchLabels?: Record<string, string> }; template: { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } };
}
interface Trigger {
  type: string;
  metadata?: Record<string, string>;
}
interface ScaledObject extends Manifest {
  spec: { scaleTargetRef: { name: string; kind?: string }; minReplicaCount?: number; maxReplicaCount?: number; triggers: Trigger[] };
}

const ofKind = <T extends Manifest>(rendered: Rendered, kind: string) => rendered.resources.filter((manifest) => manifest.kind === kind) as T[];
const deployments = (rendered: Rendered) => ofKind<Deployment>(rendered, 'Deployment');
const appContainer = (deployment: Deployment) => deployment.spec.template.spec.containers[0];

/** The service a Deployment runs: its name (the spec also checks images carry the same name). */
const serviceOf = (deployment: Deployment) => deployment.metadata.name;

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels?.[key] === value);

// ---------------------------------------------------------------------------------------------
// The environment a container runs with, resolved through ConfigMaps and Secrets

interface ResolvedVar {
  /** The value, when it is known here (literals and ConfigMap values; never a Secret's). */
  value?: string;
  from: 'literal' | 'configMap' | 'secret' | 'other';
  via: string;
}

/** Keys of a generated Secret: the committed `<env file>.example` names them. */
function generatedSecretKeys(rendered: Rendered, name: string): string[] | undefined {
  const generator = rendered.secretGenerators.find((candidate) => candidate.name === name);
  if (!generator) return undefined;
  return generator.envFiles.flatMap((file) => {
    const example = `${file}.example`;
    if (!existsSync(example)) return [];
    return readFileSync(example, 'utf8')
      .split('\n')
      .map((line) => /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line.trim())?.[1])
      .filter((key): key is string => !!key);
  });
}

function configMapData(rendered: Rendered, name: string): Record<string, string> | undefined {
  const configMap = rendered.resources.find((manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.name === name);
  return configMap ? ((configMap.data as Record<string, string> | undefined) ?? {}) : undefined;
}

function resolveEnv(rendered: Rendered, container: Container): { vars: Map<string, ResolvedVar>; problems: string[] } {
  const vars = new Map<string, ResolvedVar>();
  const problems: string[] = [];
  const where = `container ${container.name}`;
  for (const source of container.envFrom ?? []) {
    if (source.prefix) problems.push(`${where}: envFrom prefix "${source.prefix}" is not expected (the services read unprefixed names)`);
    if (source.configMapRef) {
      const data = configMapData(rendered, source.configMapRef.name);
      if (!data) problems.push(`${where}: envFrom ConfigMap ${source.configMapRef.name} does not exist`);
      for (const [key, value] of Object.entries(data ?? {})) vars.set(key, { value: String(value), from: 'configMap', via: `ConfigMap ${source.configMapRef.name}` });
    }
    if (source.secretRef) {
      const keys = generatedSecretKeys(rendered, source.secretRef.name);
      if (!keys) problems.push(`${where}: envFrom Secret ${source.secretRef.name} is not generated by any secretGenerator`);
      for (const key of keys ?? []) vars.set(key, { from: 'secret', via: `Secret ${source.secretRef.name}` });
    }
  }
  for (const variable of container.env ?? []) {
    const { configMapKeyRef, secretKeyRef } = variable.valueFrom ?? {};
    if (variable.value !== undefined) {
      vars.set(variable.name, { value: String(variable.value), from: 'literal', via: 'env' });
    } else if (configMapKeyRef) {
      const value = configMapData(rendered, configMapKeyRef.name)?.[configMapKeyRef.key];
      if (value === undefined) problems.push(`${where}: ${variable.name} refers to ConfigMap ${configMapKeyRef.name} key ${configMapKeyRef.key}, which does not exist`);
      vars.set(variable.name, { value, from: 'configMap', via: `ConfigMap ${configMapKeyRef.name}` });
    } else if (secretKeyRef) {
      const keys = generatedSecretKeys(rendered, secretKeyRef.name);
      if (!keys) problems.push(`${where}: ${variable.name} refers to Secret ${secretKeyRef.name}, which no secretGenerator makes`);
      else if (!keys.includes(secretKeyRef.key)) problems.push(`${where}: ${variable.name} refers to key ${secretKeyRef.key} of Secret ${secretKeyRef.name}, which its example file does not define`);
      vars.set(variable.name, { from: 'secret', via: `Secret ${secretKeyRef.name}` });
    } else {
      vars.set(variable.name, { from: 'other', via: 'valueFrom' });
    }
  }
  return { vars, problems };
}

/** A variable's value as the service sees it: set in the manifest, else the service's default. */
function effectiveValue(rendered: Rendered, deployment: Deployment, name: string, env: EnvExample): string | undefined {
  const set = resolveEnv(rendered, appContainer(deployment)).vars.get(name);
  if (set) return set.value;
  if (name === 'KAFKA_GROUP_ID' || name === 'KAFKA_CLIENT_ID' || name === 'DATABASE_SCHEMA') return serviceOf(deployment);
  return env.defaults.get(name);
}

// ---------------------------------------------------------------------------------------------
// Ports, probes, quantities

function containerPortOf(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  return container.ports?.find((candidate) => candidate.name === port)?.containerPort;
}

/** Seconds a preStop hook sleeps (exec sleep N, sh -c "sleep N" or the sleep action); 0 if none. */
function preStopSleepSeconds(container: Container): number {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep?.seconds !== undefined) return Number(preStop.sleep.seconds);
  const command = (preStop?.exec?.command ?? []).join(' ');
  const match = /(?:^|\s|;|&&)sleep\s+(\d+(?:\.\d+)?)/.exec(command);
  return match ? Number(match[1]) : 0;
}

const MEMORY_UNITS: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** CPU in cores, memory in bytes; NaN when not a quantity. */
function quantity(resource: string, raw: string | number): number {
  const text = String(raw);
  if (resource === 'cpu') {
    const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(text);
    return match ? Number(match[1]) / (match[2] ? 1000 : 1) : NaN;
  }
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(text);
  return match ? Number(match[1]) * MEMORY_UNITS[match[2] ?? ''] : NaN;
}

// ---------------------------------------------------------------------------------------------
// The checks: each returns every problem it finds

function checkInventory(rendered: Rendered): string[] {
  const problems: string[] = [];
  for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'ScaledObject', 'NetworkPolicy']) {
    const names = rendered.resources.filter((manifest) => manifest.kind === kind).map((manifest) => manifest.metadata.name).sort();
    if (JSON.stringify(names) !== JSON.stringify([...SERVICES].sort())) problems.push(`${kind}s are [${names.join(', ')}], expected one per service: [${SERVICES.join(', ')}]`);
  }
  const namespaces = new Set(rendered.resources.filter((manifest) => manifest.kind !== 'Namespace').map((manifest) => manifest.metadata.namespace));
  if (namespaces.size !== 1 || namespaces.has(undefined)) problems.push(`resources are not all in one namespace: ${[...namespaces].join(', ')}`);
  for (const deployment of deployments(rendered)) {
    if (deployment.spec.template.spec.containers.length !== 1) problems.push(`Deployment ${deployment.metadata.name}: expected one container`);
    if (!selects(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)) problems.push(`Deployment ${deployment.metadata.name}: selector does not match its pod labels`);
    if (deployment.spec.replicas !== undefined) problems.push(`Deployment ${deployment.metadata.name}: sets replicas, which would fight its ScaledObject on every apply`);
  }
  return problems;
}

function checkProbesAndPorts(rendered: Rendered): string[] {
  const problems: string[] = [];
  for (const deployment of deployments(rendered)) {
    const container = appContainer(deployment);
    const where = `Deployment ${deployment.metadata.name}`;
    const portVar = resolveEnv(rendered, container).vars.get('PORT');
    const listenPort = portVar?.value !== undefined ? Number(portVar.value) : NaN;
    if (!Number.isInteger(listenPort)) {
      problems.push(`${where}: PORT must be set explicitly (it is ${portVar?.value ?? 'unset'})`);
      continue;
    }
    const declared = (container.ports ?? []).map((port) => port.containerPort);
    if (!declared.includes(listenPort)) problems.push(`${where}: PORT=${listenPort} but containerPort is [${declared.join(', ')}]`);
    const expected: [keyof Container, string][] = [
      ['livenessProbe', '/health/live'],
      ['readinessProbe', '/health/ready'],
      ['startupProbe', '/health/live'],
    ];
    for (const [probeName, expectedPath] of expected) {
      const probe = container[probeName] as Probe | undefined;
      if (!probe?.httpGet) {
        problems.push(`${where}: no ${probeName} (httpGet ${expectedPath})`);
        continue;
      }
      if (probe.httpGet.path !== expectedPath) problems.push(`${where}: ${probeName} path is ${probe.httpGet.path}, expected ${expectedPath}`);
      const probePort = containerPortOf(container, probe.httpGet.port);
      if (probePort !== listenPort) problems.push(`${where}: ${probeName} port ${String(probe.httpGet.port)} resolves to ${probePort}, but the app listens on ${listenPort}`);
    }
    const managementPort = Number(resolveEnv(rendered, container).vars.get('MANAGEMENT_PORT')?.value);
    const scrapePort = deployment.spec.template.metadata.annotations?.['prometheus.io/port'];
    if (scrapePort !== undefined && Number(scrapePort) !== managementPort) problems.push(`${where}: prometheus.io/port ${scrapePort} is not the management port ${managementPort} (metrics are served there only)`);

    const service = rendered.resources.find((manifest) => manifest.kind === 'Service' && manifest.metadata.name === deployment.metadata.name) as
      | (Manifest & { spec: { selector?: Record<string, string>; ports?: { port: number; targetPort?: number | string }[] } })
      | undefined;
    if (!service) continue;
    if (!selects(service.spec.selector, deployment.spec.template.metadata.labels)) problems.push(`Service ${service.metadata.name}: selector does not select the pods of ${where}`);
    for (const port of service.spec.ports ?? []) {
      const target = containerPortOf(container, port.targetPort ?? port.port);
      if (target !== listenPort) problems.push(`Service ${service.metadata.name}: targetPort ${String(port.targetPort ?? port.port)} resolves to ${target}, but the app listens on ${listenPort}`);
    }
    if ((service.spec as { type?: string }).type !== undefined && (service.spec as { type?: string }).type !== 'ClusterIP') problems.push(`Service ${service.metadata.name}: expected type ClusterIP`);
  }
  return problems;
}

interface NetworkPolicyRule {
  from?: { namespaceSelector?: { matchLabels?: Record<string, string> }; podSelector?: { matchLabels?: Record<string, string> }; ipBlock?: unknown }[];
  ports?: { port?: number | string; protocol?: string }[];
}

/**
 * The management port (metrics, docs, consumer status: no token) is set explicitly, distinct from
 * PORT, listened on by all interfaces of the pod, never exposed by the Service, and reachable only
 * from monitoring: the service's NetworkPolicy admits the API port from anywhere and the
 * management port only from selected peers. Tokens are verified with exactly one key source.
 */
function checkManagementPortAndAccess(rendered: Rendered): string[] {
  const problems: string[] = [];
  const policies = ofKind<Manifest & { spec: { podSelector?: { matchLabels?: Record<string, string> }; policyTypes?: string[]; ingress?: NetworkPolicyRule[] } }>(rendered, 'NetworkPolicy');
  for (const deployment of deployments(rendered)) {
    const container = appContainer(deployment);
    const where = `Deployment ${deployment.metadata.name}`;
    const { vars } = resolveEnv(rendered, container);
    const listenPort = Number(vars.get('PORT')?.value);
    const managementPort = Number(vars.get('MANAGEMENT_PORT')?.value);
    if (!Number.isInteger(managementPort)) {
      problems.push(`${where}: MANAGEMENT_PORT must be set explicitly`);
      continue;
    }
    if (managementPort === listenPort) problems.push(`${where}: MANAGEMENT_PORT is PORT (${listenPort})`);
    if (!(container.ports ?? []).some((port) => port.containerPort === managementPort)) problems.push(`${where}: the management port ${managementPort} is not a containerPort`);
    if (vars.get('MANAGEMENT_HOST')?.value !== '0.0.0.0') problems.push(`${where}: MANAGEMENT_HOST must be 0.0.0.0 (the default, 127.0.0.1, is unreachable from Prometheus)`);
    const keySources = ['AUTH_JWKS_URL', 'AUTH_PUBLIC_KEY_FILE'].filter((name) => vars.get(name)?.value);
    if (keySources.length !== 1) problems.push(`${where}: exactly one of AUTH_JWKS_URL and AUTH_PUBLIC_KEY_FILE must be set (set: ${keySources.join(', ') || 'none'})`);

    const matching = policies.filter((policy) => selects(policy.spec.podSelector?.matchLabels, deployment.spec.template.metadata.labels));
    if (matching.length !== 1) {
      problems.push(`${where}: ${matching.length} NetworkPolicies select its pods, expected 1`);
      continue;
    }
    const [policy] = matching;
    if (!(policy.spec.policyTypes ?? []).includes('Ingress')) problems.push(`NetworkPolicy ${policy.metadata.name}: policyTypes must include Ingress`);
    const rules = policy.spec.ingress ?? [];
    const portsOf = (rule: NetworkPolicyRule) => (rule.ports ?? []).map((port) => containerPortOf(container, port.port));
    for (const rule of rules) {
      const ports = portsOf(rule);
      if (ports.length === 0) problems.push(`NetworkPolicy ${policy.metadata.name}: a rule admits every port`);
      if (ports.includes(managementPort) && !(rule.from ?? []).some((peer) => peer.namespaceSelector?.matchLabels || peer.podSelector?.matchLabels)) {
        problems.push(`NetworkPolicy ${policy.metadata.name}: the management port ${managementPort} is open to every peer`);
      }
      for (const port of ports) if (port !== listenPort && port !== managementPort) problems.push(`NetworkPolicy ${policy.metadata.name}: admits port ${port}, which the app does not serve`);
    }
    if (!rules.some((rule) => portsOf(rule).includes(listenPort))) problems.push(`NetworkPolicy ${policy.metadata.name}: does not admit the API port ${listenPort}`);
    if (!rules.some((rule) => portsOf(rule).includes(managementPort))) problems.push(`NetworkPolicy ${policy.metadata.name}: does not admit monitoring to the management port ${managementPort}`);
  }
  return problems;
}

function checkScaledObjects(rendered: Rendered, env: EnvExample): string[] {
  const problems: string[] = [];
  const scaledObjects = ofKind<ScaledObject>(rendered, 'ScaledObject');
  for (const deployment of deployments(rendered)) {
    const targeting = scaledObjects.filter((scaled) => scaled.spec.scaleTargetRef.name === deployment.metadata.name && (scaled.spec.scaleTargetRef.kind ?? 'Deployment') === 'Deployment');
    if (targeting.length !== 1) problems.push(`Deployment ${deployment.metadata.name}: ${targeting.length} ScaledObjects target it, expected exactly 1`);
  }
  for (const scaled of scaledObjects) {
    const where = `ScaledObject ${scaled.metadata.name}`;
    if (scaled.apiVersion !== 'keda.sh/v1alpha1') problems.push(`${where}: apiVersion ${scaled.apiVersion}, expected keda.sh/v1alpha1`);
    const deployment = deployments(rendered).find((candidate) => candidate.metadata.name === scaled.spec.scaleTargetRef.name);
    if (!deployment) {
      problems.push(`${where}: scaleTargetRef ${scaled.spec.scaleTargetRef.name} is no Deployment here`);
      continue;
    }
    const service = serviceOf(deployment);
    const partitions = Number(effectiveValue(rendered, deployment, 'KAFKA_TOPIC_PARTITIONS', env));
    const groupId = effectiveValue(rendered, deployment, 'KAFKA_GROUP_ID', env);
    const brokers = effectiveValue(rendered, deployment, 'KAFKA_BROKERS', env);
    // KEDA's defaults when the fields are absent: min 0, max 100.
    const min = scaled.spec.minReplicaCount ?? 0;
    const max = scaled.spec.maxReplicaCount ?? 100;
    if (!(min >= 1)) problems.push(`${where}: minReplicaCount ${min}, expected >= 1 (a consumer group needs a member to be ready)`);
    if (!(max >= min)) problems.push(`${where}: maxReplicaCount ${max} < minReplicaCount ${min}`);
    if (!Number.isInteger(partitions) || !(max <= partitions)) problems.push(`${where}: maxReplicaCount ${max} exceeds KAFKA_TOPIC_PARTITIONS=${partitions}: instances past the partition count sit idle`);

    const kafkaTriggers = scaled.spec.triggers.filter((trigger) => trigger.type === 'kafka');
    const topics = kafkaTriggers.map((trigger) => trigger.metadata?.topic ?? '(all topics of the group)');
    const expectedTopics = CONSUMES[service] ?? [];
    if (JSON.stringify([...topics].sort()) !== JSON.stringify([...expectedTopics].sort())) {
      problems.push(`${where}: kafka triggers watch [${topics.join(', ')}], but ${service} consumes [${expectedTopics.join(', ')}] (one trigger per topic)`);
    }
    for (const trigger of kafkaTriggers) {
      const metadata = trigger.metadata ?? {};
      const at = `${where} trigger ${metadata.topic}`;
      if (metadata.consumerGroup !== groupId) problems.push(`${at}: consumerGroup ${metadata.consumerGroup}, but the Deployment runs group ${groupId} (KAFKA_GROUP_ID)`);
      if (metadata.bootstrapServers !== brokers) problems.push(`${at}: bootstrapServers ${metadata.bootstrapServers}, but the Deployment uses KAFKA_BROKERS=${brokers}`);
      if (!/^[1-9]\d*$/.test(String(metadata.lagThreshold ?? ''))) problems.push(`${at}: lagThreshold must be a positive integer string, is ${metadata.lagThreshold}`);
      if (String(metadata.allowIdleConsumers ?? 'false') !== 'false') problems.push(`${at}: allowIdleConsumers lets KEDA scale past the partitions`);
      if (metadata.offsetResetPolicy !== 'earliest') problems.push(`${at}: offsetResetPolicy ${metadata.offsetResetPolicy}, but the consumers start new groups from the earliest offset`);
    }
    for (const trigger of scaled.spec.triggers.filter((candidate) => candidate.type !== 'kafka')) {
      if (trigger.type === 'cpu' || trigger.type === 'memory') {
        const missing = deployment.spec.template.spec.containers.filter((container) => container.resources?.requests?.[trigger.type] === undefined);
        if (missing.length > 0) problems.push(`${where}: a ${trigger.type} trigger needs a ${trigger.type} request on every container`);
      } else {
        problems.push(`${where}: unexpected trigger type ${trigger.type}`);
      }
    }
  }
  for (const hpa of rendered.resources.filter((manifest) => manifest.kind === 'HorizontalPodAutoscaler')) {
    const target = (hpa.spec as { scaleTargetRef?: { name?: string } } | undefined)?.scaleTargetRef?.name;
    if (scaledObjects.some((scaled) => scaled.spec.scaleTargetRef.name === target)) problems.push(`HorizontalPodAutoscaler ${hpa.metadata.name}: ${target} is already scaled by a ScaledObject`);
  }
  return problems;
}

function checkShutdown(rendered: Rendered, env: EnvExample): string[] {
  const problems: string[] = [];
  for (const deployment of deployments(rendered)) {
    const where = `Deployment ${deployment.metadata.name}`;
    const container = appContainer(deployment);
    const drainSeconds = Number(effectiveValue(rendered, deployment, 'SHUTDOWN_TIMEOUT_MS', env)) / 1000;
    const sleepSeconds = preStopSleepSeconds(container);
    // Kubernetes' default is 30 s when the field is absent.
    const grace = deployment.spec.template.spec.terminationGracePeriodSeconds ?? 30;
    if (!(sleepSeconds > 0)) problems.push(`${where}: no preStop sleep: SIGTERM may arrive while the Service still routes requests to the pod`);
    if (!Number.isFinite(drainSeconds) || !(grace > drainSeconds + sleepSeconds)) {
      problems.push(`${where}: terminationGracePeriodSeconds ${grace} must exceed SHUTDOWN_TIMEOUT_MS/1000 (${drainSeconds}) + preStop sleep (${sleepSeconds})`);
    }
  }
  return problems;
}

function checkImages(rendered: Rendered): string[] {
  const problems: string[] = [];
  const [overlay] = rendered.kustomizations;
  const overrides = overlay.content.images ?? [];
  for (const deployment of deployments(rendered)) {
    const service = serviceOf(deployment);
    const repository = `${IMAGE_REPOSITORY}/${service}`;
    for (const container of deployment.spec.template.spec.containers) {
      const image = splitImage(container.image ?? '');
      if (image.name !== repository) problems.push(`Deployment ${deployment.metadata.name}: image ${container.image}, expected ${repository}:<tag>`);
      if (!image.digest && (!image.tag || image.tag === 'latest')) problems.push(`Deployment ${deployment.metadata.name}: image ${container.image} has no pinned tag`);
    }
    const override = overrides.find((candidate) => candidate.name === repository);
    if (!override) problems.push(`${overlay.file}: images has no entry for ${repository}`);
    else if (!override.newTag && !override.digest) problems.push(`${overlay.file}: images entry ${repository} sets neither newTag nor digest`);
    else if (override.newName && override.newName !== repository) problems.push(`${overlay.file}: images entry ${repository} renames it to ${override.newName}`);
  }
  const used = new Set(rendered.resources.flatMap(containersOf).map((container) => splitImage(container.image ?? '').name));
  for (const override of overrides) {
    // kustomize silently ignores an entry that matches no container (a typo would go unnoticed).
    if (!used.has(override.newName ?? override.name)) problems.push(`${overlay.file}: images entry ${override.name} matches no container`);
  }
  return problems;
}

function checkEnvironment(rendered: Rendered, env: EnvExample): string[] {
  const problems: string[] = [];
  for (const deployment of deployments(rendered)) {
    for (const container of deployment.spec.template.spec.containers) {
      const { vars, problems: unresolved } = resolveEnv(rendered, container);
      problems.push(...unresolved.map((problem) => `Deployment ${deployment.metadata.name}: ${problem}`));
      for (const [name, resolved] of vars) {
        if (!env.serviceVariables.has(name)) problems.push(`Deployment ${deployment.metadata.name}: sets ${name} (${resolved.via}), which no service reads (not in .env.example)`);
      }
      for (const required of ['KAFKA_BROKERS', 'DATABASE_URL']) {
        if (!vars.has(required)) problems.push(`Deployment ${deployment.metadata.name}: ${required} is required and not set`);
      }
    }
  }
  return problems;
}

function checkResources(rendered: Rendered): string[] {
  const problems: string[] = [];
  for (const deployment of deployments(rendered)) {
    const spec = deployment.spec.template.spec;
    for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
      const where = `Deployment ${deployment.metadata.name} container ${container.name}`;
      for (const resource of ['cpu', 'memory']) {
        const request = container.resources?.requests?.[resource];
        const limit = container.resources?.limits?.[resource];
        if (request === undefined || limit === undefined) {
          problems.push(`${where}: ${resource} request and limit must both be set`);
          continue;
        }
        const [requested, limited] = [quantity(resource, request), quantity(resource, limit)];
        if (Number.isNaN(requested) || Number.isNaN(limited)) problems.push(`${where}: ${resource} ${request}/${limit} is not a quantity`);
        else if (requested > limited) problems.push(`${where}: ${resource} request ${request} exceeds its limit ${limit}`);
      }
    }
  }
  return problems;
}

/**
 * Resident memory outside the V8 heap, measured under load (docs/performance.md, "Memory"): about
 * 50 MB of the node binary's mapped code and up to 40 MB of native memory (Kafka fetches, sockets,
 * malloc), rounded up.
 */
const NON_HEAP_MIB = 96;

/**
 * The image runs node with SERVICE_NODE_FLAGS, which cap the V8 heap: old generation + 3 semi-spaces
 * (two for the young generation, one for its large objects), as v8.getHeapStatistics().heap_size_limit
 * reports. The memory limit must hold that plus the memory outside the heap, or the kubelet kills a
 * pod whose heap is still within its cap.
 */
function checkMemoryBudget(rendered: Rendered): string[] {
  const problems: string[] = [];
  const oldSpace = maxOldSpaceMb();
  const semiSpace = maxSemiSpaceMb();
  if (oldSpace === undefined || semiSpace === undefined) return ['SERVICE_NODE_FLAGS set no --max-old-space-size or --max-semi-space-size: the heap is not capped'];
  const neededMiB = oldSpace + 3 * semiSpace + NON_HEAP_MIB;
  for (const deployment of deployments(rendered)) {
    const container = appContainer(deployment);
    const where = `Deployment ${deployment.metadata.name} container ${container.name}`;
    if (container.command || container.args) problems.push(`${where}: overrides the image's command, which runs node with SERVICE_NODE_FLAGS (the heap caps)`);
    const limit = container.resources?.limits?.memory;
    const limitMiB = limit === undefined ? NaN : quantity('memory', limit) / 1024 ** 2;
    if (!(limitMiB >= neededMiB)) {
      problems.push(`${where}: memory limit ${limit} is below the heap cap (${oldSpace} MB old + 3 x ${semiSpace} MB young) plus ${NON_HEAP_MIB} MiB outside the heap = ${neededMiB} MiB`);
    }
  }
  return problems;
}

function checkSecurity(rendered: Rendered): string[] {
  const problems: string[] = [];
  for (const deployment of deployments(rendered)) {
    const pod = deployment.spec.template.spec;
    for (const container of pod.containers) {
      const where = `Deployment ${deployment.metadata.name} container ${container.name}`;
      const context = container.securityContext ?? {};
      if (!(context.runAsNonRoot ?? pod.securityContext?.runAsNonRoot)) problems.push(`${where}: runAsNonRoot is not set`);
      if (context.readOnlyRootFilesystem !== true) problems.push(`${where}: root filesystem is writable`);
      if (context.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
      if (!context.capabilities?.drop?.includes('ALL')) problems.push(`${where}: capabilities are not all dropped`);
    }
  }
  return problems;
}

const CREDENTIALS_IN_URL = /[a-z][a-z0-9+.-]*:\/\/[^:\s/@]+:([^@\s]+)@/gi;
const SECRET_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY|DATABASE_URL/i;
const PLACEHOLDER = 'CHANGE_ME';

/** Files in a folder, recursively, except those a .gitignore beside them names. */
function committedFiles(dir: string): string[] {
  const ignoreFile = path.join(dir, '.gitignore');
  const ignored = new Set(
    existsSync(ignoreFile)
      ? readFileSync(ignoreFile, 'utf8')
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line && !line.startsWith('#'))
      : [],
  );
  return readdirSync(dir).flatMap((entry) => {
    if (ignored.has(entry)) return [];
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? committedFiles(full) : [full];
  });
}

function checkSecrets(rendered: Rendered, manifestsDir: string): string[] {
  const problems: string[] = [];
  // 1. No Secret objects with values, in any manifest file.
  for (const file of rendered.resourceFiles) {
    for (const document of readYamlDocuments(file) as Partial<Manifest>[]) {
      if (document.kind === 'Secret' && (document.data || document.stringData)) problems.push(`${file}: Secret ${document.metadata?.name} carries values`);
    }
  }
  // 2. No credentials in any committed file, except the marked placeholder.
  for (const file of committedFiles(manifestsDir)) {
    for (const match of readFileSync(file, 'utf8').matchAll(CREDENTIALS_IN_URL)) {
      if (!match[1].includes(PLACEHOLDER)) problems.push(`${file}: a URL with a password (${match[0].replace(match[1], '***')})`);
    }
  }
  // 3. Nothing secret-looking set in plain text (env literals, ConfigMaps); DATABASE_URL from a Secret.
  for (const configMap of rendered.resources.filter((manifest) => manifest.kind === 'ConfigMap')) {
    for (const key of Object.keys((configMap.data as Record<string, string>) ?? {})) {
      if (SECRET_NAME.test(key)) problems.push(`ConfigMap ${configMap.metadata.name}: ${key} belongs in a Secret`);
    }
  }
  for (const deployment of deployments(rendered)) {
    const { vars } = resolveEnv(rendered, appContainer(deployment));
    for (const [name, resolved] of vars) {
      if (SECRET_NAME.test(name) && resolved.from !== 'secret') problems.push(`Deployment ${deployment.metadata.name}: ${name} comes from ${resolved.via}, not from a Secret`);
    }
  }
  // 4. Every generated Secret reads git-ignored files, and a committed example marks the placeholder.
  for (const generator of rendered.secretGenerators) {
    for (const file of generator.envFiles) {
      const ignoreFile = path.join(path.dirname(file), '.gitignore');
      const ignored = existsSync(ignoreFile) && readFileSync(ignoreFile, 'utf8').split('\n').some((line) => line.trim() === path.basename(file));
      if (!ignored) problems.push(`secretGenerator ${generator.name}: ${file} is not git-ignored by ${ignoreFile}`);
      const example = `${file}.example`;
      if (!existsSync(example)) problems.push(`secretGenerator ${generator.name}: no ${example} shows which keys ${path.basename(file)} needs`);
      else if (!readFileSync(example, 'utf8').includes(PLACEHOLDER)) problems.push(`${example}: values must be the placeholder ${PLACEHOLDER}`);
    }
  }
  return problems;
}

function checkDisruptionBudgets(rendered: Rendered): string[] {
  const problems: string[] = [];
  const budgets = ofKind<Manifest & { spec: { maxUnavailable?: number | string; minAvailable?: number | string; selector?: { matchLabels?: Record<string, string> } } }>(rendered, 'PodDisruptionBudget');
  const all = deployments(rendered);
  for (const deployment of all) {
    // Every service consumes events, so each gets a budget.
    const matching = budgets.filter((budget) => selects(budget.spec.selector?.matchLabels, deployment.spec.template.metadata.labels));
    if (matching.length !== 1) {
      problems.push(`Deployment ${deployment.metadata.name}: ${matching.length} PodDisruptionBudgets select its pods, expected 1`);
      continue;
    }
    const [budget] = matching;
    if (budget.spec.maxUnavailable !== 1) problems.push(`PodDisruptionBudget ${budget.metadata.name}: maxUnavailable ${budget.spec.maxUnavailable}, expected 1`);
    const others = all.filter((other) => other !== deployment && selects(budget.spec.selector?.matchLabels, other.spec.template.metadata.labels));
    if (others.length > 0) problems.push(`PodDisruptionBudget ${budget.metadata.name}: also selects the pods of ${others.map((other) => other.metadata.name).join(', ')}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

describe('Kubernetes manifests (deploy/kubernetes/overlays/production, rendered)', () => {
  const rendered = renderKustomization(overlayDir);
  const env = readEnvExample();

  it('reads the variables and defaults the services document in .env.example', () => {
    expect([...env.serviceVariables]).toEqual(expect.arrayContaining(['KAFKA_BROKERS', 'DATABASE_URL', 'PORT', 'KAFKA_GROUP_ID', 'KAFKA_TOPIC_PARTITIONS', 'SHUTDOWN_TIMEOUT_MS']));
    expect(env.serviceVariables.has('ORDERS_PORT')).toBe(false);
    expect(env.defaults.get('SHUTDOWN_TIMEOUT_MS')).toMatch(/^\d+$/);
    expect(env.defaults.get('KAFKA_TOPIC_PARTITIONS')).toMatch(/^\d+$/);
  });

  it('has one Deployment, Service, PodDisruptionBudget, ScaledObject and NetworkPolicy per service, in one namespace, without fixed replicas', () => {
    expect(checkInventory(rendered)).toEqual([]);
  });

  it('probes /health/live (liveness, startup) and /health/ready (readiness) on the port the app listens on (PORT = containerPort = Service targetPort)', () => {
    expect(checkProbesAndPorts(rendered)).toEqual([]);
  });

  it('serves metrics, docs and consumer status on a management port the Service does not expose and only monitoring may reach (NetworkPolicy); verifies tokens with one key source', () => {
    expect(checkManagementPortAndAccess(rendered)).toEqual([]);
  });

  it('scales each consumer group with KEDA on the lag of exactly the topics it consumes, between 1 and the partition count', () => {
    expect(checkScaledObjects(rendered, env)).toEqual([]);
  });

  it('gives every pod more time to stop than its preStop sleep plus its drain deadline', () => {
    expect(checkShutdown(rendered, env)).toEqual([]);
  });

  it('runs ghcr.io/relay/<service> images whose tags the overlay pins', () => {
    expect(checkImages(rendered)).toEqual([]);
  });

  it('sets only variables the services read (.env.example), and every ConfigMap and Secret reference resolves', () => {
    expect(checkEnvironment(rendered, env)).toEqual([]);
  });

  it('sets CPU and memory requests and limits on every container', () => {
    expect(checkResources(rendered)).toEqual([]);
  });

  it('gives every service a memory limit that holds its capped V8 heap and the memory outside it, and keeps the image\'s node flags', () => {
    expect(checkMemoryBudget(rendered)).toEqual([]);
  });

  it('runs as non-root with a read-only root filesystem and no capabilities', () => {
    expect(checkSecurity(rendered)).toEqual([]);
  });

  it('commits no secret value: DATABASE_URL comes from a Secret generated from a git-ignored file', () => {
    expect(checkSecrets(rendered, __dirname)).toEqual([]);
  });

  it('has a PodDisruptionBudget (maxUnavailable 1) selecting exactly the pods of each consumer Deployment', () => {
    expect(checkDisruptionBudgets(rendered)).toEqual([]);
  });
});

describe('the kustomize renderer', () => {
  it('splits image references, registry ports and digests included', () => {
    expect(splitImage('ghcr.io/relay/orders:1.2.3')).toEqual({ name: 'ghcr.io/relay/orders', tag: '1.2.3', digest: undefined });
    expect(splitImage('localhost:5000/relay/orders')).toEqual({ name: 'localhost:5000/relay/orders', digest: undefined });
    expect(splitImage('ghcr.io/relay/orders@sha256:abc')).toEqual({ name: 'ghcr.io/relay/orders', digest: 'sha256:abc' });
  });

  it('refuses kustomization fields it does not implement, rather than ignoring them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'relay-kustomize-'));
    try {
      writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources: []\npatches:\n  - path: patch.yaml\n');
      expect(() => renderKustomization(dir)).toThrow(KustomizeError);
      expect(() => renderKustomization(dir)).toThrow(/unsupported field\(s\) patches/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies an overlay to its base: resources, namespace, image tags, merged ConfigMap literals', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'relay-kustomize-'));
    try {
      const base = path.join(dir, 'base');
      const overlay = path.join(dir, 'overlay');
      for (const folder of [base, overlay]) mkdirSync(folder);
      writeFileSync(
        path.join(base, 'kustomization.yaml'),
        'resources: [app.yaml]\nconfigMapGenerator:\n  - name: config\n    literals: [A=1, B=2]\n',
      );
      writeFileSync(
        path.join(base, 'app.yaml'),
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: app }\nspec:\n  template:\n    spec:\n      containers: [{ name: app, image: example.org/app }]\n',
      );
      writeFileSync(
        path.join(overlay, 'kustomization.yaml'),
        [
          'namespace: prod',
          'resources: [ns.yaml, ../base]',
          'images: [{ name: example.org/app, newTag: "2.0" }]',
          'configMapGenerator: [{ name: config, behavior: merge, literals: [B=3, C=4] }]',
          'secretGenerator: [{ name: creds, envs: [creds.env] }]',
        ].join('\n'),
      );
      writeFileSync(path.join(overlay, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: prod }\n');
      const result = renderKustomization(overlay);
      const byKind = (kind: string) => result.resources.find((manifest) => manifest.kind === kind);
      expect(byKind('Namespace')?.metadata.namespace).toBeUndefined();
      expect(byKind('Deployment')?.metadata.namespace).toBe('prod');
      expect(containersOf(byKind('Deployment')!)[0].image).toBe('example.org/app:2.0');
      expect(byKind('ConfigMap')?.data).toEqual({ A: '1', B: '3', C: '4' });
      expect(result.secretGenerators).toEqual([expect.objectContaining({ name: 'creds', envFiles: [path.join(overlay, 'creds.env')] })]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
