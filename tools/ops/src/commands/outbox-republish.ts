import { IHeaders } from 'kafkajs';
import { kafkaRefusalOf, RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER, RELAY_XID_HEADER, REPUBLISHED_FROM_QUARANTINE_HEADER } from '@relay/messaging';
import { parseCommandArgs, requireValue, stringValue } from '../args';
import { Command, Connection, connectionFromEnv, ENVIRONMENT_HELP, printJson } from '../command';
import { DEFAULT_SCHEMAS, schemaFlag } from '../config';
import { OpsError } from '../errors';
import { count, Io } from '../io';
import { connectProducer, createOpsKafka } from '../kafka';
import { QuarantinedEventInFull } from '../quarantine';
import { showQuarantinedEvent } from './outbox-quarantine';

export interface RepublishOptions extends Connection {
  /** eventId or producer sequence of the quarantined event. */
  id: string;
  /** Where to look for it (default orders, inventory, delivery). */
  schemas?: string[];
}

export interface RepublishResult {
  schema: string;
  eventId: string | null;
  eventType: string | null;
  key: string;
  to: { topic: string; partition: number; offset: string };
}

/** Headers a republished event never carries: its relay's sequence, which its consumers moved past. */
const NOT_REPUBLISHED: ReadonlySet<string> = new Set([RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER, RELAY_XID_HEADER]);

export function republishHeaders(event: QuarantinedEventInFull): IHeaders {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(event.headers)) if (!NOT_REPUBLISHED.has(name)) headers[name] = value;
  headers[REPUBLISHED_FROM_QUARANTINE_HEADER] = `${event.schema}:${event.producer}:${event.sequence}`;
  return headers;
}

/**
 * Publishes a quarantined event to its topic, with its key and value, and its headers minus the
 * relay's producer sequence (consumers moved past it: they apply the event once, by its eventId),
 * plus where it came from. Its quarantine row is kept: the audit reads it as the event's outbox
 * record, and notes it as republished once it is on the topic. Kafka refusing it again (its
 * topic's max.message.bytes not raised) is reported, nothing else changes.
 */
export async function republishQuarantinedEvent(options: RepublishOptions): Promise<RepublishResult> {
  const event = await showQuarantinedEvent(options);
  if (!event) throw new OpsError(`no quarantined event ${options.id} in ${(options.schemas ?? Object.values(DEFAULT_SCHEMAS)).join(', ')}`);
  if (event.key === null) throw new OpsError(`quarantined event ${options.id} has no key: it cannot be published in its order's partition`);
  const producer = await connectProducer(createOpsKafka(options.kafkaBrokers));
  try {
    const [metadata] = await producer
      .send({ topic: event.topic, acks: -1, messages: [{ key: event.key, value: event.value, headers: republishHeaders(event) }] })
      .catch((error: unknown) => {
        const refusal = kafkaRefusalOf(error);
        if (refusal?.kind === 'event') {
          throw new OpsError(`Kafka still refuses event ${options.id}: ${refusal.type} (about ${count(event.sizeBytes)} bytes): raise max.message.bytes of ${event.topic} first`);
        }
        throw error;
      });
    return { schema: event.schema, eventId: event.eventId, eventType: event.eventType, key: event.key, to: { topic: event.topic, partition: metadata.partition, offset: metadata.baseOffset ?? '?' } };
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

export const outboxRepublishCommand: Command = {
  name: 'outbox republish',
  summary: 'publish a quarantined event to its topic (once its topic accepts it)',
  help: `Usage: npm run ops -- outbox republish --event <eventId|sequence> [--schemas orders,inventory,delivery] [--json]

Publishes one event an outbox relay quarantined (npm run ops -- outbox quarantine) to its topic,
with its key and value, and its headers minus the relay's producer sequence (x-relay-producer,
x-relay-sequence, x-relay-xid: its consumers have applied later sequences of that relay and would
skip it as a copy; without them, each group applies it once, by its eventId), plus
x-republished-from-quarantine. Do it once the cause is fixed (usually: the topic's
max.message.bytes raised); if Kafka still refuses it, nothing is published (exit 1).

The event goes out after the events its relay published since it was quarantined: consumers apply
events of one order in any order (the state machines only move forward), but check what the order
became meanwhile. The quarantine row is kept: the audit reads it as the event's outbox record and
lists it as republished once the event is on its topic. Republishing twice publishes twice;
consumers apply it once.

Options:
  --event <id>      the quarantined event: its eventId or its producer sequence (required)
  --schemas <s,…>   where to look for it (default orders,inventory,delivery)
  --json            machine-readable output
  -h, --help

${ENVIRONMENT_HELP}`,
  async run(args, io: Io) {
    const { values } = parseCommandArgs('outbox republish', args, { schemas: { type: 'string' }, event: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, names: '' });
    if (values.help) {
      io.out(this.help);
      return 0;
    }
    const id = requireValue('outbox republish', values, 'event');
    const schemasValue = stringValue(values, 'schemas');
    const schemas = schemasValue === undefined ? undefined : schemasValue.split(',').map((schema) => schemaFlag('schemas', schema.trim()));
    const result = await republishQuarantinedEvent({ ...connectionFromEnv(io), id, schemas });
    if (values.json) {
      printJson(io, result);
      return 0;
    }
    io.out(
      `republished ${result.eventType ?? 'event'} ${result.eventId ?? id} (key ${result.key}) from ${result.schema}.relay_quarantine to ` +
        `${result.to.topic} partition ${result.to.partition} offset ${result.to.offset}; the quarantine row is kept`,
    );
    return 0;
  },
};
