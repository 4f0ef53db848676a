import { z } from 'zod';
import { EventEnvelope } from './envelope';
import { TopicName } from './topics';
import { TopicProducers } from './topology';
import { uuidv7 } from './uuid-v7';

/** A typed, versioned event: its name, the topic it travels on, its schema and its Kafka key. */
export interface EventContract<TType extends string, TVersion extends number, TSchema extends z.ZodType> {
  readonly type: TType;
  readonly version: TVersion;
  readonly topic: TopicName;
  /** The service that publishes it (its topic's producer): the envelope's `producer`. */
  readonly producer: string;
  readonly schema: TSchema;
  /** The handler pattern consumers subscribe with, e.g. `order.placed.v1`. */
  readonly pattern: `${TType}.v${TVersion}`;
  /** The Kafka key: the id of the aggregate the event is about. */
  keyOf(data: z.infer<TSchema>): string;
}

/** Any event contract, when the caller does not know which. */
export type AnyEventContract = EventContract<string, number, z.ZodType>;

export type EnvelopeOf<C> =
  C extends EventContract<infer TType, infer TVersion, infer TSchema> ? EventEnvelope<TType, TVersion, z.infer<TSchema>> : never;

export type DataOf<C> = C extends EventContract<string, number, infer TSchema> ? z.infer<TSchema> : never;

export function defineEvent<TType extends string, TVersion extends number, TSchema extends z.ZodType>(definition: {
  type: TType;
  version: TVersion;
  topic: TopicName;
  schema: TSchema;
  keyOf(data: z.infer<TSchema>): string;
}): EventContract<TType, TVersion, TSchema> {
  return Object.freeze({ ...definition, producer: TopicProducers[definition.topic], pattern: `${definition.type}.v${definition.version}` as const });
}

/** What a producer knows when it raises an event; the envelope's other fields are filled in. */
export interface NewEventInput<TData> {
  data: TData;
  producer: string;
  correlationId: string;
  causationId?: string | null;
  occurredAt?: Date;
  eventId?: string;
}

/** Builds a complete, schema-checked envelope for a contract. Throws if the data breaks the schema. */
export function createEnvelope<TType extends string, TVersion extends number, TSchema extends z.ZodType>(
  contract: EventContract<TType, TVersion, TSchema>,
  input: NewEventInput<z.infer<TSchema>>,
): EventEnvelope<TType, TVersion, z.infer<TSchema>> {
  return {
    eventId: input.eventId ?? uuidv7(),
    type: contract.type,
    version: contract.version,
    occurredAt: (input.occurredAt ?? new Date()).toISOString(),
    correlationId: input.correlationId,
    causationId: input.causationId ?? null,
    producer: input.producer,
    data: contract.schema.parse(input.data) as z.infer<TSchema>,
  };
}

/**
 * Builds the envelope of an event raised in reaction to another: it keeps the flow's
 * correlationId and names its cause, so one order's whole story can be traced.
 */
export function createFollowUpEnvelope<TType extends string, TVersion extends number, TSchema extends z.ZodType>(
  contract: EventContract<TType, TVersion, TSchema>,
  cause: Pick<EventEnvelope, 'eventId' | 'correlationId'>,
  input: { data: z.infer<TSchema>; producer: string; occurredAt?: Date },
): EventEnvelope<TType, TVersion, z.infer<TSchema>> {
  return createEnvelope(contract, { ...input, correlationId: cause.correlationId, causationId: cause.eventId });
}
