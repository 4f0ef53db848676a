import { readFileSync, writeFileSync } from 'node:fs';
import { RELAY_SERVICES } from '@relay/contracts';
import { baseKafkaBrokers, baseManifestFile, withGeneratedTriggers } from './keda-triggers';

/** `npm run generate:keda`: rewrites the generated kafka triggers of every base manifest from the topology. */
const brokers = baseKafkaBrokers();
for (const service of RELAY_SERVICES) {
  const file = baseManifestFile(service);
  const committed = readFileSync(file, 'utf8');
  const generated = withGeneratedTriggers(committed, service, brokers);
  if (generated !== committed) writeFileSync(file, generated);
  process.stdout.write(`${file}: ${generated === committed ? 'unchanged' : 'rewritten'}\n`);
}
