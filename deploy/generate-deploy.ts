import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dockerFiles } from './docker/docker-files';
import { committedContent, obsoleteGeneratedFiles, REPO_ROOT } from './generation/generated-file';
import { BASE_DIR } from './kubernetes/keda-triggers';
import { kubernetesFiles } from './kubernetes/kubernetes-files';
import { rootEnvExample } from './settings/env-example-file';

/**
 * `npm run generate:deploy`: rewrites every per-service deploy file (deploy/kubernetes, docker/, the
 * console's lines of .env.example)
 * from ServiceTopology and the templates, and deletes the manifest of a service the topology no
 * longer has.
 */
const files = [...kubernetesFiles(), ...dockerFiles(), rootEnvExample()];
for (const { file, content } of files) {
  const committed = committedContent(file);
  if (committed !== content) writeFileSync(file, content);
  process.stdout.write(`${path.relative(REPO_ROOT, file)}: ${committed === content ? 'unchanged' : committed === '' ? 'created' : 'rewritten'}\n`);
}
for (const file of obsoleteGeneratedFiles(BASE_DIR, files)) {
  rmSync(file);
  process.stdout.write(`${path.relative(REPO_ROOT, file)}: deleted (no such service in ServiceTopology)\n`);
}
