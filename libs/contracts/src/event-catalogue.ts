import { z } from 'zod';
import { EventEnvelope, envelopeSchema } from './envelope';
import { AnyEventContract } from './event-contract';
import { OrderPlacedV1 } from './events/order-placed.v1';
import { OrderCancelledV1 } from './events/order-cancelled.v1';
import { StockRejectedV1, StockReleasedV1, StockReservedV1 } from './events/stock-events.v1';
import { DeliveryCancelledV1, DeliveryScheduledV1 } from './events/delivery-events.v1';

/** Every event the platform knows, by pattern (`type.vN`). */
export const EventCatalogue: ReadonlyMap<string, AnyEventContract> = new Map(
  [OrderPlacedV1, OrderCancelledV1, StockReservedV1, StockRejectedV1, StockReleasedV1, DeliveryScheduledV1, DeliveryCancelledV1].map((contract: AnyEventContract) => [contract.pattern, contract]),
);

export type DecodeResult =
  | { ok: true; contract: AnyEventContract; envelope: EventEnvelope }
  | { ok: false; reason: 'not-json' | 'bad-envelope' | 'unknown-event' | 'bad-data' | 'wrong-topic'; message: string };

/**
 * Turns raw message bytes into a checked envelope. Anything that fails here is a poison message:
 * retrying cannot fix it, so callers dead-letter it at once. Given the topic the message was read
 * from (`receivedOn`), an event is accepted only there where its contract puts it: a
 * `stock.reserved` on `relay.orders.v1` was written by someone who may write that topic but is not
 * inventory, and is not trusted.
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
  const data = contract.schema.safeParse(envelope.data.data);
  if (!data.success) {
    return { ok: false, reason: 'bad-data', message: `invalid ${pattern} data: ${z.prettifyError(data.error)}` };
  }
  return { ok: true, contract, envelope: { ...envelope.data, data: data.data } };
}
