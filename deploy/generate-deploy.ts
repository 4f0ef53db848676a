import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dockerFiles } from './docker/docker-files';
import { REPO_ROOT } from './generation/generated-file';
import { kubernetesFiles } from './kubernetes/kubernetes-files';

/** `npm run generate:deploy`: rewrites every per-service deploy file (deploy/kubernetes, docker/) from ServiceTopology and the templates. */
for (const { file, content } of [...kubernetesFiles(), ...dockerFiles()]) {
  const unchanged = readFileSync(file, 'utf8') === content;
  if (!unchanged) writeFileSync(file, content);
  process.stdout.write(`${path.relative(REPO_ROOT, file)}: ${unchanged ? 'unchanged' : 'rewritten'}\n`);
}
