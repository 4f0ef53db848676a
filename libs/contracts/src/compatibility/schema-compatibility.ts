import type { JsonSchema } from '../asyncapi/event-json-schema';

/*
 * Whether an event version's current JSON Schema may replace the one it was published with. Both
 * sides read a topic: consumers built against the published schema read what is published now,
 * and current consumers re-read what was published before (a replay, a new group starting from
 * the earliest offset). So, for every field the published schema has:
 * - it must still be there (removed: old readers miss it);
 * - it must keep its type, and a fixed value set (const, enum) its values (retyped: one side gets
 *   what it cannot read);
 * - if it was required it must stay required (old readers count on it), and if it was optional it
 *   must stay optional (events already on the topic lack it);
 * and no new field may be required (events already on the topic lack it). A new optional field
 * passes. Bounds, patterns and formats (maxLength, pattern, format...) are not compared.
 */

const asSchema = (value: unknown): JsonSchema => (typeof value === 'object' && value !== null ? (value as JsonSchema) : {});
const asStrings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : []);

/** The schema's alternatives (anyOf / oneOf), or undefined when it has none. */
function alternativesOf(schema: JsonSchema): JsonSchema[] | undefined {
  const alternatives = schema.anyOf ?? schema.oneOf;
  return Array.isArray(alternatives) ? alternatives.map(asSchema) : undefined;
}

/** What a schema says a value is, as text to compare and to show: its types and fixed values. */
function kindOf(schema: JsonSchema): string {
  const types = asStrings(schema.type).sort().join('|') || 'any';
  const values = 'const' in schema ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : undefined;
  return values ? `${types} ${JSON.stringify([...values].map((value) => JSON.stringify(value)).sort())}` : types;
}

/** Every incompatibility of `current` with `published`, one line each naming the field's path; none when compatible. */
export function schemaIncompatibilities(published: JsonSchema, current: JsonSchema, path = 'data'): string[] {
  const publishedAlternatives = alternativesOf(published);
  const currentAlternatives = alternativesOf(current);
  if (publishedAlternatives || currentAlternatives) {
    if (publishedAlternatives?.length !== currentAlternatives?.length) {
      return [`${path}: retyped (${publishedAlternatives?.length ?? 1} alternative(s) published, ${currentAlternatives?.length ?? 1} now)`];
    }
    return publishedAlternatives!.flatMap((alternative, index) => schemaIncompatibilities(alternative, currentAlternatives![index], `${path}[alternative ${index + 1}]`));
  }
  if (kindOf(published) !== kindOf(current)) return [`${path}: retyped (published as ${kindOf(published)}, now ${kindOf(current)})`];
  const problems: string[] = [];
  if ('items' in published || 'items' in current) problems.push(...schemaIncompatibilities(asSchema(published.items), asSchema(current.items), `${path}[]`));
  const publishedFields = asSchema(published.properties);
  const currentFields = asSchema(current.properties);
  const publishedRequired = new Set(asStrings(published.required));
  const currentRequired = new Set(asStrings(current.required));
  for (const [field, schema] of Object.entries(publishedFields)) {
    const at = `${path}.${field}`;
    if (!(field in currentFields)) {
      problems.push(`${at}: removed`);
      continue;
    }
    if (publishedRequired.has(field) && !currentRequired.has(field)) problems.push(`${at}: no longer required (readers of the published version count on it)`);
    if (!publishedRequired.has(field) && currentRequired.has(field)) problems.push(`${at}: now required (events already published may lack it)`);
    problems.push(...schemaIncompatibilities(asSchema(schema), asSchema(currentFields[field]), at));
  }
  for (const field of currentRequired) {
    if (!(field in publishedFields)) problems.push(`${path}.${field}: a required field added (events already published lack it; add it as optional)`);
  }
  return problems;
}
