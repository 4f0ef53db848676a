import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { messagingMetrics } from '../metrics';
import { RefusedEvent } from './relay-batching';

/** The table, in each producing schema, that keeps the events Kafka refused for good. */
export const RELAY_QUARANTINE_TABLE = 'relay_quarantine';

/** The envelope's eventId, read from the value when the relay did not have it at hand. */
function eventIdOf(event: RefusedEvent): string | null {
  if (event.eventId !== undefined) return event.eventId;
  try {
    const text = typeof event.message.value === 'string' ? event.message.value : event.message.value.toString('utf8');
    const parsed = JSON.parse(text) as { eventId?: unknown };
    return typeof parsed.eventId === 'string' ? parsed.eventId : null;
  } catch {
    return null;
  }
}

/**
 * Keeps `events` in `schema`.relay_quarantine, whole (topic, key, headers as they would have been
 * sent, value), with why Kafka refused them. Call it on the relay's own connection, inside the
 * transaction that then moves past them (the WAL slot's confirm, the table's stamp): the events
 * are kept if and only if the relay moves past them. An event quarantined again (its producer and
 * sequence are already there: the relay crashed between the two) is kept once.
 */
export async function quarantineEvents(client: Pick<Client, 'query' | 'escapeIdentifier'>, schema: string, events: readonly RefusedEvent[]): Promise<void> {
  const table = `${client.escapeIdentifier(schema)}.${RELAY_QUARANTINE_TABLE}`;
  for (const event of events) {
    const value = typeof event.message.value === 'string' ? Buffer.from(event.message.value) : event.message.value;
    await client.query(
      `INSERT INTO ${table} (producer, sequence, event_id, event_type, topic, message_key, headers, value, size_bytes, limit_bytes, reason, error_message)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (producer, sequence) DO NOTHING`,
      [
        event.producer,
        event.sequence,
        eventIdOf(event),
        event.message.headers['x-event-type'] ?? null,
        event.topic,
        event.message.key,
        JSON.stringify(event.message.headers),
        value,
        event.sizeBytes,
        event.limitBytes,
        event.reason,
        event.errorMessage,
      ],
    );
  }
}

/** Once the quarantine is committed: counts the events (relay_outbox_quarantined_total) and logs each as an error. */
export function reportQuarantined(logger: Logger, schema: string, events: readonly RefusedEvent[]): void {
  for (const event of events) {
    messagingMetrics.outboxQuarantined.inc({ topic: event.topic, reason: event.reason });
    logger.error(
      `Kafka refused event ${eventIdOf(event) ?? '(no eventId)'} (${event.message.headers['x-event-type'] ?? 'unknown type'}, key ${event.message.key}, ` +
        `sequence ${event.sequence}) for ${event.topic} for good: ${event.reason} (about ${event.sizeBytes} bytes, limit ${event.limitBytes}): ${event.errorMessage}. ` +
        `It is quarantined in ${schema}.${RELAY_QUARANTINE_TABLE}, never published; the relay moves on. See \`npm run ops -- outbox quarantine\`.`,
    );
  }
}
