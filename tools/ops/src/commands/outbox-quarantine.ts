import { parseCommandArgs, stringValue } from '../args';
import { Command, Connection, connectionFromEnv, ENVIRONMENT_HELP, printJson } from '../command';
import { DEFAULT_SCHEMAS, integerFlag, schemaFlag } from '../config';
import { withDatabase } from '../db';
import { OpsError, UsageError } from '../errors';
import { count, Io, plural, printable, truncate } from '../io';
import { QuarantinedEvent, QuarantinedEventInFull, readQuarantine, readQuarantinedEvent, schemasWithQuarantine } from '../quarantine';

export interface ListQuarantineOptions extends Pick<Connection, 'databaseUrl'> {
  /** Default: orders, inventory, delivery. */
  schemas?: string[];
  /** Oldest first, at most this many per schema (default all). */
  limit?: number;
}

export interface SchemaQuarantine {
  schema: string;
  /** False when the schema has no relay_quarantine table (its service has not run a version that keeps one). */
  present: boolean;
  total: number;
  events: QuarantinedEvent[];
}

/** The events each schema's outbox relay quarantined, oldest first. */
export async function listQuarantine(options: ListQuarantineOptions): Promise<SchemaQuarantine[]> {
  const schemas = options.schemas ?? Object.values(DEFAULT_SCHEMAS);
  return withDatabase(options.databaseUrl, async (db) => {
    const present = await schemasWithQuarantine(db, schemas);
    const result: SchemaQuarantine[] = [];
    for (const schema of schemas) {
      if (!present.has(schema)) result.push({ schema, present: false, total: 0, events: [] });
      else result.push({ schema, present: true, ...(await readQuarantine(db, schema, options.limit)) });
    }
    return result;
  });
}

/** One quarantined event in full, by eventId or producer sequence, from the first of `schemas` that has it. */
export async function showQuarantinedEvent(options: ListQuarantineOptions & { id: string }): Promise<QuarantinedEventInFull | undefined> {
  const schemas = options.schemas ?? Object.values(DEFAULT_SCHEMAS);
  return withDatabase(options.databaseUrl, async (db) => {
    const present = await schemasWithQuarantine(db, schemas);
    for (const schema of schemas) {
      if (!present.has(schema)) continue;
      const found = await readQuarantinedEvent(db, schema, options.id);
      if (found) return found;
    }
    return undefined;
  });
}

function describe(event: QuarantinedEvent): string[] {
  return [
    `${event.quarantinedAt}  ${event.eventType ?? 'unknown type'} ${event.eventId ?? '(no eventId)'}  key ${event.key ?? '(none)'}`,
    `      ${event.reason}: about ${count(event.sizeBytes)} bytes for ${event.topic} (limit ${event.limitBytes === null ? 'unknown' : count(event.limitBytes)}): ${truncate(event.errorMessage, 160)}`,
    `      producer ${event.producer} sequence ${event.sequence}`,
  ];
}

const view = (event: QuarantinedEventInFull) => ({ ...event, value: event.value.toString('utf8') });

export const outboxQuarantineCommand: Command = {
  name: 'outbox quarantine',
  summary: 'events the outbox relays could never publish (Kafka refused them alone, e.g. MESSAGE_TOO_LARGE)',
  help: `Usage: npm run ops -- outbox quarantine [--schemas orders,inventory,delivery] [--limit N] [--json]
       npm run ops -- outbox quarantine --event <eventId|sequence> [--json]

Lists, oldest first, the events each service's outbox relay quarantined: Kafka refused each of them
alone for a reason no retry changes (MESSAGE_TOO_LARGE: larger than the topic's max.message.bytes;
RECORD_LIST_TOO_LARGE; INVALID_RECORD), so the relay kept it in its schema's relay_quarantine table,
never published it, and went on with the events after it. Shows when, the event type and id, the
key (order id), why, its size against the topic's limit, and its producer and sequence. No consumer
has seen these events: the audit reports each as a gap (check 1) until an operator has dealt with
it (docs/operations.md, "Quarantined outbox events").

Options:
  --schemas <s,…>   the services' schemas (default orders,inventory,delivery)
  --event <id>      one event in full (headers and value), by eventId or producer sequence
  --limit <N>       show at most N per schema (default 50; 0 = all)
  --json            machine-readable output
  -h, --help

${ENVIRONMENT_HELP}`,
  async run(args, io: Io) {
    const { values } = parseCommandArgs('outbox quarantine', args, { schemas: { type: 'string' }, event: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, names: '' });
    if (values.help) {
      io.out(this.help);
      return 0;
    }
    const schemasValue = stringValue(values, 'schemas');
    const schemas = schemasValue === undefined ? undefined : schemasValue.split(',').map((schema) => schemaFlag('schemas', schema.trim()));
    if (schemas !== undefined && schemas.length === 0) throw new UsageError('outbox quarantine: --schemas needs at least one schema');
    const { databaseUrl } = connectionFromEnv(io);
    const id = stringValue(values, 'event');
    if (id !== undefined) {
      const event = await showQuarantinedEvent({ databaseUrl, schemas, id });
      if (!event) throw new OpsError(`no quarantined event ${id} in ${(schemas ?? Object.values(DEFAULT_SCHEMAS)).join(', ')}`);
      if (values.json) {
        printJson(io, view(event));
        return 0;
      }
      for (const line of describe(event)) io.out(line);
      io.out(`      schema ${event.schema}; headers:`);
      for (const [name, value] of Object.entries(event.headers)) io.out(`        ${name}: ${printable(value)}`);
      io.out('      value:');
      io.out(printable(event.value.toString('utf8')));
      return 0;
    }
    const limitValue = stringValue(values, 'limit');
    const limit = limitValue === undefined ? 50 : integerFlag('limit', limitValue, { min: 0 });
    const list = await listQuarantine({ databaseUrl, schemas, limit: limit === 0 ? undefined : limit });
    if (values.json) {
      printJson(io, list);
      return 0;
    }
    for (const entry of list) {
      if (!entry.present) {
        io.out(`${entry.schema}: no relay_quarantine table (the service has not run a version that keeps one)`);
        continue;
      }
      io.out(`${entry.schema}: ${plural(entry.total, 'quarantined event')}${entry.events.length < entry.total ? ` (showing the oldest ${count(entry.events.length)}; --limit 0 for all)` : ''}`);
      for (const event of entry.events) for (const line of describe(event)) io.out(line);
    }
    return 0;
  },
};
