import { mkdirSync, writeFileSync } from 'node:fs';
import { publishedSchemaFile, publishedSchemaJson, PUBLISHED_SCHEMAS_DIR, readPublishedSchema } from '../compatibility/published-schemas';
import { EventCatalogue } from '../event-catalogue';
import { asyncApiJson } from './asyncapi-document';
import { ASYNCAPI_FILE } from './asyncapi-file';
import { eventDataJsonSchema } from './event-json-schema';

/*
 * `npm run generate:asyncapi`: writes docs/asyncapi.json from the contracts, and records the data
 * schema of every event version that has no published schema yet. A recorded schema is never
 * rewritten: it is what consumers were given (published-events.spec.ts checks against it).
 */
writeFileSync(ASYNCAPI_FILE, asyncApiJson());
process.stdout.write(`${ASYNCAPI_FILE}: written\n`);
mkdirSync(PUBLISHED_SCHEMAS_DIR, { recursive: true });
for (const contract of EventCatalogue.values()) {
  if (readPublishedSchema(contract)) continue;
  writeFileSync(publishedSchemaFile(contract), publishedSchemaJson(eventDataJsonSchema(contract)));
  process.stdout.write(`${publishedSchemaFile(contract)}: recorded (${contract.pattern} had no published schema)\n`);
}
