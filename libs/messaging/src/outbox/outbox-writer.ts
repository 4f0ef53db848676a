import { EntityManager } from 'typeorm';
import { EventContract, EventEnvelope } from '@relay/contracts';
import { z } from 'zod';
import { currentWorkContext } from '@relay/service-runtime';
import { OutboxMessageEntity } from './outbox-message.entity';

/** The channel the relay LISTENs on; the payload is the schema whose outbox has new rows. */
export const OUTBOX_NOTIFY_CHANNEL = 'relay_outbox';

/**
 * Appends an event to the outbox inside the caller's transaction, so the event exists if and only
 * if the change it describes commits. Also NOTIFYs the relay, which PostgreSQL delivers only on
 * commit, so the relay wakes at once instead of waiting for its next poll.
 */
export async function appendToOutbox<TType extends string, TVersion extends number, TSchema extends z.ZodType>(
  manager: EntityManager,
  contract: EventContract<TType, TVersion, TSchema>,
  envelope: EventEnvelope<TType, TVersion, z.infer<TSchema>>,
): Promise<void> {
  const traceparent = currentWorkContext()?.traceparent;
  await manager.insert(OutboxMessageEntity, {
    eventId: envelope.eventId,
    topic: contract.topic,
    messageKey: contract.keyOf(envelope.data),
    eventType: contract.pattern,
    payload: envelope,
    headers: {
      'x-correlation-id': envelope.correlationId,
      'x-event-type': contract.pattern,
      // The trace context of the work that raised the event: the consumer continues the trace.
      ...(traceparent ? { traceparent } : {}),
    },
  });
  await manager.query('SELECT pg_notify($1, current_schema())', [OUTBOX_NOTIFY_CHANNEL]);
}
