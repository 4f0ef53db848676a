import { z } from 'zod';
import { EventEnvelope, envelopeSchema } from './envelope';
import { AnyEventContract } from './event-contract';
import { OrderPlacedV1 } from './events/order-placed.v1';
import { OrderCancelledV1 } from './events/order-cancelled.v1';
import { StockReservedV1 } from './events/stock-reserved.v1';
import { StockRejectedV1 } from './events/stock-rejected.v1';
import { StockReleasedV1 } from './events/stock-released.v1';
import { DeliveryScheduledV1 } from './events/delivery-scheduled.v1';
import { DeliveryCancelledV1 } from './events/delivery-cancelled.v1';

/** Every event the platform knows, by pattern (`type.vN`). */
export const EventCatalogue: ReadonlyMap<string, AnyEventContract> = new Map(
  [OrderPlacedV1, OrderCancelledV1, StockReservedV1, StockRejectedV1, StockReleasedV1, DeliveryScheduledV1, DeliveryCancelledV1].map((contract: AnyEventContract) => [contract.pattern, contract]),
);

export type DecodeResult =
  | { ok: true; contract: AnyEventContract; envelope: EventEnvelope }
  | { ok: false; reason: 'not-json' | 'bad-envelope' | 'unknown-event' | 'bad-data' | 'wrong-topic' | 'wrong-producer'; message: string };

/**
 * Turns raw message bytes into a checked envelope. Anything that fails here is a poison message:
 * retrying cannot fix it, so callers dead-letter it at once.
 *
 * Given the topic the message was read from (`receivedOn`: a consumer's edge), an event is also
 * accepted only where its contract puts it, and only from the producer its contract names:
 * - `wrong-topic`: a `stock.reserved` on `relay.orders.v1` was written by someone who may write
 *   that topic but is not inventory. This is the check that will carry weight: once Kafka ACLs let
 *   only a topic's producer write it (issue 13, later work), the topic a message was read from
 *   proves who wrote it, and no event can be passed off on another service's topic.
 * - `wrong-producer`: the envelope's `producer` is not the service the contract names (a
 *   `stock.reserved` signed `orders`). The envelope and the Kafka headers (`x-relay-producer`) are
 *   written by whoever writes the message: without ACLs they are claims, not proof, and this check
 *   only catches a mislabelled event. The `x-relay-producer` header is not checked against the
 *   contract at all: it names a database schema (`wal:<schema>@<system id>`), which each deployment
 *   chooses (`DATABASE_SCHEMA`), not a service.
 */
export function decodeEvent(value: Buffer | string | null, receivedOn?: string): DecodeResult {
  if (value === null) return { ok: false, reason: 'not-json', message: 'message has no value' };
  let json: unknown;
  try {
    json = JSON.parse(value.toString());
  } catch (error) {
    return { ok: false, reason: 'not-json', message: `value is not JSON: ${(error as Error).message}` };
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    return { ok: false, reason: 'bad-envelope', message: `invalid envelope: ${z.prettifyError(envelope.error)}` };
  }
  const pattern = `${envelope.data.type}.v${envelope.data.version}`;
  const contract = EventCatalogue.get(pattern);
  if (!contract) return { ok: false, reason: 'unknown-event', message: `unknown event ${pattern}` };
  if (receivedOn !== undefined && receivedOn !== contract.topic) {
    return { ok: false, reason: 'wrong-topic', message: `${pattern} belongs on ${contract.topic}, not on ${receivedOn}` };
  }
  if (receivedOn !== undefined && envelope.data.producer !== contract.producer) {
    // JSON.stringify: the claimed name is untrusted text on its way to a header and a log line.
    return { ok: false, reason: 'wrong-producer', message: `${pattern} is published by ${contract.producer}, not by ${JSON.stringify(envelope.data.producer)}` };
  }
  const data = contract.schema.safeParse(envelope.data.data);
  if (!data.success) {
    return { ok: false, reason: 'bad-data', message: `invalid ${pattern} data: ${z.prettifyError(data.error)}` };
  }
  return { ok: true, contract, envelope: { ...envelope.data, data: data.data } };
}
