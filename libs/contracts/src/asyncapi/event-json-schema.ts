import { z } from 'zod';
import { envelopeSchema } from '../envelope';
import { AnyEventContract } from '../event-contract';

/** A JSON Schema as zod writes it (draft-07: the dialect AsyncAPI's own schema format extends). */
export type JsonSchema = { [keyword: string]: unknown };

/**
 * An event version's `data` as JSON Schema, from its zod contract (zod's own export). Written as
 * what a consumer accepts (`io: 'input'`): fields it does not know are allowed, as rule 3 of the
 * contracts says (consumers ignore unknown fields, an added field keeps the version).
 */
export function eventDataJsonSchema(contract: AnyEventContract): JsonSchema {
  return withoutDialect(z.toJSONSchema(contract.schema, { target: 'draft-7', io: 'input' }) as JsonSchema);
}

/** The whole message of an event version: the envelope, with its type, version and producer fixed and its data's schema. */
export function eventMessageJsonSchema(contract: AnyEventContract): JsonSchema {
  const message = envelopeSchema.extend({ type: z.literal(contract.type), version: z.literal(contract.version), producer: z.literal(contract.producer), data: contract.schema });
  return withoutDialect(z.toJSONSchema(message, { target: 'draft-7', io: 'input' }) as JsonSchema);
}

// Embedded in a document that states its format once, a schema does not name its dialect again.
function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}
