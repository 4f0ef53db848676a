import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { RELAY_SERVICES } from '@relay/contracts';
import type { GeneratedFile } from '../generation/generated-file';
import { withGeneratedBlock } from '../generation/generated-block';
import { envPrefix } from '../generation/words';
import { BASE_DIR } from './keda-triggers';

/*
 * The per-service lists of the hand-written kustomize files, as generated blocks: the base's
 * resources, the production overlay's images and the keys of its kafka.env.example.
 */

const PRODUCTION_DIR = path.join(__dirname, 'overlays', 'production');

function regenerated(file: string, what: string, lines: readonly string[]): GeneratedFile {
  return { file, content: withGeneratedBlock(readFileSync(file, 'utf8'), file, what, lines) };
}

export function baseResources(): GeneratedFile {
  return regenerated(path.join(BASE_DIR, 'kustomization.yaml'), 'one manifest per service', RELAY_SERVICES.map((service) => `- ${service}.yaml`));
}

/**
 * The release's image tags: each service keeps the tag the overlay gives it (`kustomize edit set
 * image` changes them there), and a service not listed yet gets the first image's, the release's.
 */
export function productionImages(): GeneratedFile {
  const file = path.join(PRODUCTION_DIR, 'kustomization.yaml');
  const images = (parse(readFileSync(file, 'utf8')) as { images?: { name: string; newTag?: string }[] }).images ?? [];
  const release = images[0]?.newTag;
  if (!release) throw new Error(`${file}: images: must list at least one image with its newTag (the release)`);
  const tagOf = (image: string) => images.find((candidate) => candidate.name === image)?.newTag ?? release;
  return regenerated(
    file,
    'one image per service',
    RELAY_SERVICES.flatMap((service) => [`- name: ghcr.io/relay/${service}`, `  newTag: "${tagOf(`ghcr.io/relay/${service}`)}"`]),
  );
}

export function productionKafkaEnvExample(): GeneratedFile {
  return regenerated(
    path.join(PRODUCTION_DIR, 'kafka.env.example'),
    'one login per service',
    RELAY_SERVICES.flatMap((service) => [`${envPrefix(service)}_KAFKA_USERNAME=${service}`, `${envPrefix(service)}_KAFKA_PASSWORD=CHANGE_ME`]),
  );
}
