import { REGENERATE_ASYNCAPI } from '../asyncapi/asyncapi-document';
import { eventDataJsonSchema } from '../asyncapi/event-json-schema';
import { EventCatalogue } from '../event-catalogue';
import { publishedSchemaFile, readPublishedSchema } from './published-schemas';
import { schemaIncompatibilities } from './schema-compatibility';

describe('every published event version', () => {
  it.each([...EventCatalogue.keys()])('%s stays compatible with the schema it was published with', (pattern) => {
    const contract = EventCatalogue.get(pattern)!;
    const published = readPublishedSchema(contract);
    if (!published) throw new Error(`${pattern} has no published schema (${publishedSchemaFile(contract)}): run \`${REGENERATE_ASYNCAPI}\` and commit it`);
    const problems = schemaIncompatibilities(published, eventDataJsonSchema(contract));
    if (problems.length > 0) {
      throw new Error(
        `${pattern} is no longer compatible with what was published (${publishedSchemaFile(contract)}):\n- ${problems.join('\n- ')}\n` +
          'Make the change additive (a new optional field), or publish a new major version on a new topic.',
      );
    }
  });
});
