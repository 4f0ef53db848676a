import { EntityManager } from 'typeorm';
import { preparedStatement, queryPrepared } from '../database/prepared-statement';
import { AnyEventContract, EventContract, EventEnvelope } from '@relay/contracts';
import { z } from 'zod';
import { currentWorkContext } from '@relay/service-runtime';

/** The channel the relay LISTENs on; the payload is the schema whose outbox has new rows. */
export const OUTBOX_NOTIFY_CHANNEL = 'relay_outbox';

/** One event to append: its contract (topic, key), its envelope, and the trace it belongs to. */
export interface OutboxEntry<C extends AnyEventContract = AnyEventContract> {
  contract: C;
  envelope: EventEnvelope<string, number, z.infer<C['schema']>>;
  /** The W3C trace context of the work that raised the event; defaults to the current unit of work's. */
  traceparent?: string;
}

/** Builds a typed entry; the envelope is checked against the contract at compile time. */
export function outboxEntry<TType extends string, TVersion extends number, TSchema extends z.ZodType>(
  contract: EventContract<TType, TVersion, TSchema>,
  envelope: EventEnvelope<TType, TVersion, z.infer<TSchema>>,
  traceparent?: string,
): OutboxEntry {
  return { contract, envelope, traceparent } as unknown as OutboxEntry;
}

/** What the relay needs of one event: where it goes (topic, key), its headers, and the envelope. */
export interface OutboxRecord {
  eventId: string;
  topic: string;
  key: string;
  type: string;
  payload: EventEnvelope;
  headers: Record<string, string>;
}

/** The records of `entries`, in order; an entry without a trace takes the current unit of work's. */
export function outboxRecords(entries: readonly OutboxEntry[]): OutboxRecord[] {
  const fallbackTraceparent = currentWorkContext()?.traceparent;
  return entries.map(({ contract, envelope, traceparent }) => {
    const trace = traceparent ?? fallbackTraceparent;
    return {
      eventId: envelope.eventId,
      topic: contract.topic,
      key: contract.keyOf(envelope.data),
      type: contract.pattern,
      payload: envelope,
      headers: {
        'x-correlation-id': envelope.correlationId,
        'x-event-type': contract.pattern,
        // The trace context of the work that raised the event: the consumer continues the trace.
        ...(trace ? { traceparent: trace } : {}),
      },
    };
  });
}

/**
 * Appends events to the outbox table inside the caller's transaction, so they exist if and only if
 * the change they describe commits: one INSERT for all of them (ids in the given order, which is the
 * order the relay publishes) and one NOTIFY, which PostgreSQL delivers only on commit, so the
 * relay wakes at once instead of waiting for its next poll.
 */
export async function appendEventsToOutboxTable(manager: EntityManager, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = outboxRecords(entries);
  // One JSON parameter rather than six arrays: one serialisation, and the statement text never
  // changes with the number of rows, so it is prepared once per connection.
  await queryPrepared(manager, APPEND_TO_OUTBOX_TABLE, [JSON.stringify(rows), OUTBOX_NOTIFY_CHANNEL]);
}

const APPEND_TO_OUTBOX_TABLE = preparedStatement(
  `WITH appended AS (
     INSERT INTO outbox (event_id, topic, message_key, event_type, payload, headers)
     SELECT (row->>'eventId')::uuid, row->>'topic', row->>'key', row->>'type', row->'payload', row->'headers'
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS entry(row, position)
     ORDER BY position
     RETURNING 1
   )
   SELECT pg_notify($2, current_schema()) FROM (SELECT count(*) FROM appended) AS done`,
);
