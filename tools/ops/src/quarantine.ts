import { RELAY_QUARANTINE_TABLE } from '@relay/messaging';
import { Db, table } from './db';

/**
 * One event an outbox relay quarantined: Kafka refused it alone for good (e.g. MESSAGE_TOO_LARGE),
 * so it was never published; the relay moved past it and kept it in its schema's relay_quarantine
 * (libs/messaging/src/outbox/relay-quarantine.ts).
 */
export interface QuarantinedEvent {
  schema: string;
  producer: string;
  sequence: string;
  eventId: string | null;
  eventType: string | null;
  topic: string;
  key: string | null;
  reason: string;
  errorMessage: string;
  sizeBytes: number;
  limitBytes: number | null;
  quarantinedAt: string;
}

export interface QuarantinedEventInFull extends QuarantinedEvent {
  headers: Record<string, string>;
  value: Buffer;
}

const COLUMNS = `producer, sequence, event_id, event_type, topic, message_key, reason, error_message, size_bytes, limit_bytes, quarantined_at`;

interface Row {
  producer: string;
  sequence: string;
  event_id: string | null;
  event_type: string | null;
  topic: string;
  message_key: string | null;
  reason: string;
  error_message: string;
  size_bytes: number;
  limit_bytes: number | null;
  quarantined_at: Date;
}

const fromRow = (schema: string, row: Row): QuarantinedEvent => ({
  schema,
  producer: row.producer,
  sequence: row.sequence,
  eventId: row.event_id,
  eventType: row.event_type,
  topic: row.topic,
  key: row.message_key,
  reason: row.reason,
  errorMessage: row.error_message,
  sizeBytes: row.size_bytes,
  limitBytes: row.limit_bytes,
  quarantinedAt: new Date(row.quarantined_at).toISOString(),
});

/** Of `schemas`, those that have a relay_quarantine table (a service version that quarantines has run there). */
export async function schemasWithQuarantine(db: Db, schemas: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ table_schema: string }>(
    `SELECT table_schema FROM information_schema.tables WHERE table_name = $2 AND table_schema = ANY($1::text[])`,
    [schemas, RELAY_QUARANTINE_TABLE],
  );
  return new Set(rows.map((row) => row.table_schema));
}

/** The schema's quarantined events, oldest first (at most `limit`), and how many there are. */
export async function readQuarantine(db: Db, schema: string, limit?: number): Promise<{ total: number; events: QuarantinedEvent[] }> {
  const [{ total }] = (await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM ${table(schema, RELAY_QUARANTINE_TABLE)}`)).rows;
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM ${table(schema, RELAY_QUARANTINE_TABLE)} ORDER BY quarantined_at, sequence${limit === undefined ? '' : ` LIMIT ${Math.floor(limit)}`}`,
  );
  return { total, events: rows.map((row) => fromRow(schema, row)) };
}

/** One quarantined event in full (headers and value), by its eventId or its sequence. */
export async function readQuarantinedEvent(db: Db, schema: string, id: string): Promise<QuarantinedEventInFull | undefined> {
  const { rows } = await db.query<Row & { headers: Record<string, string>; value: Buffer }>(
    `SELECT ${COLUMNS}, headers, value FROM ${table(schema, RELAY_QUARANTINE_TABLE)} WHERE event_id = $1 OR sequence = $1 ORDER BY quarantined_at LIMIT 1`,
    [id],
  );
  if (rows.length === 0) return undefined;
  return { ...fromRow(schema, rows[0]), headers: rows[0].headers, value: rows[0].value };
}
