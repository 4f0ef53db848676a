import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { JsonSchema } from '../asyncapi/event-json-schema';
import { AnyEventContract } from '../event-contract';

/**
 * Where each event version's data schema is kept as it was first published (`<pattern>.json`):
 * the reference its current schema must stay compatible with (schema-compatibility.ts). Written
 * once, for a version that has none yet, by `npm run generate:asyncapi`; never rewritten.
 */
export const PUBLISHED_SCHEMAS_DIR = path.join(__dirname, 'published');

export function publishedSchemaFile(contract: AnyEventContract): string {
  return path.join(PUBLISHED_SCHEMAS_DIR, `${contract.pattern}.json`);
}

/** The committed schema of an event version, or undefined when it has none yet. */
export function readPublishedSchema(contract: AnyEventContract): JsonSchema | undefined {
  const file = publishedSchemaFile(contract);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as JsonSchema) : undefined;
}

/** A schema as committed: two-space indentation, a final newline. */
export function publishedSchemaJson(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
