import { EntityManager } from 'typeorm';
import { preparedStatement, queryPrepared } from '../database/prepared-statement';
import { OutboxEntry, outboxRecords } from './outbox-writer';
import { encodeWalOutboxContent, WAL_OUTBOX_PREFIX } from './wal-outbox.message';

/**
 * Writes events to the WAL inside the caller's transaction, as transactional logical decoding
 * messages with the prefix `relay.outbox.<current schema>`: logical decoding delivers them if and
 * only if the transaction commits, at its commit, in the order given. Nothing is stored in a table,
 * so nothing is UPDATEd or vacuumed later; the reader's replication slot keeps the WAL until the
 * relay confirms them (see WalOutboxReader).
 *
 * One statement for all events, and no NOTIFY: the relay's replication connection receives the
 * transaction at its commit (a NOTIFY would take a lock every committing notifier queues on). The messages are emitted in array order: the function scan of json_array_elements_text
 * WITH ORDINALITY yields the rows in that order (the plan has no Sort), and the ORDER BY says so
 * should a plan ever differ; PostgreSQL evaluates a volatile function in the select list after
 * sorting.
 *
 * The contents go as one JSON array of strings rather than a text[]: pg writes an array parameter
 * as a literal, escaping each element with two regular-expression replaces in JavaScript (each
 * content is JSON, full of quotes), while JSON.stringify escapes them natively; the text reaching
 * pg_logical_emit_message is the same.
 *
 * Only a replication slot that exists when the transaction commits sees its messages: the slot must
 * be created before the service writes events (WalOutboxReader.ensureSlot).
 */
export async function appendEventsToWalOutbox(manager: EntityManager, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const contents = outboxRecords(entries).map(encodeWalOutboxContent);
  await queryPrepared(manager, APPEND, [WAL_OUTBOX_PREFIX, JSON.stringify(contents)]);
}

/**
 * The statement appendEventsToWalOutbox sends: one logical decoding message per event ($1 the
 * prefix, $2 the contents as one JSON array of strings), in order. Exported for the bench's raw
 * baselines, which write as the services do.
 */
export const WAL_OUTBOX_APPEND = `WITH emitted AS (
     SELECT pg_logical_emit_message(true, $1 || current_schema(), entry.content)
     FROM json_array_elements_text($2::json) WITH ORDINALITY AS entry(content, position)
     ORDER BY entry.position
   )
   SELECT count(*) FROM emitted`;

// Every transaction that raises events runs it: prepared once per connection.
const APPEND = preparedStatement(WAL_OUTBOX_APPEND);
