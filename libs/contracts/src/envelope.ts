import { z } from 'zod';
import { plainText } from './text';

/**
 * The one envelope every message on every topic carries. The Kafka key is the aggregate id
 * (for order events: the orderId), so one aggregate's events keep their order in a partition.
 *
 * Consumers ignore fields they do not know: an additive change keeps the version.
 */
export interface EventEnvelope<TType extends string = string, TVersion extends number = number, TData = unknown> {
  /** Unique per event; consumers record it to apply each event exactly once. */
  eventId: string;
  type: TType;
  version: TVersion;
  /** ISO-8601 instant at which the fact happened (not when it was published). */
  occurredAt: string;
  /** Shared by every event of one business flow (one order's whole story). */
  correlationId: string;
  /** The eventId of the event that caused this one; null for the first event of a flow. */
  causationId: string | null;
  /** The service that wrote the event. */
  producer: string;
  data: TData;
}

export const envelopeSchema = z.object({
  eventId: z.uuid(),
  type: plainText(1, 100),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  correlationId: plainText(1, 200),
  causationId: plainText(1, 200).nullable(),
  producer: plainText(1, 100),
  data: z.unknown(),
});
