import type { GeneratedFile } from '../generation/generated-file';
import { composeFile, dockerEnvExample, secureKafkaLogins } from './compose-file';

/** Every file of docker/ that `npm run generate:deploy` writes, with what it should hold now. */
export function dockerFiles(): GeneratedFile[] {
  return [composeFile(), secureKafkaLogins(), dockerEnvExample()];
}
