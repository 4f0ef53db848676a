import { peekWalOutbox, sequenceText, WalOutboxMessage, WalOutboxSlotInUseError, walOutboxSlotName } from '@relay/messaging';
import { Db } from '../db';
import { OutboxRow, ServiceOutbox } from './snapshot';
import { ScannedTopic } from './topic-scan';

/**
 * The audit's view of a schema that writes its events to the WAL outbox (a replication slot
 * `relay_outbox_<schema>` exists): there is no table to read, so its "outbox rows" are made from
 * what the snapshot saw committed:
 * - the events on its topic that its relay published (producer `wal:<schema>@<system id>`) from
 *   transactions visible in the database snapshot (the x-relay-xid header against the snapshot);
 * - the events its slot holds unconfirmed (peeked up to the snapshot's WAL position), also from
 *   visible transactions: not acknowledged by Kafka yet, the unpublished rows.
 * Events of transactions the snapshot does not see are after it (in flight, not gaps).
 */
export interface WalOutboxView {
  producerId: string;
  /** Unconfirmed events from transactions the snapshot sees. */
  pending: WalOutboxMessage[];
}

/** A database snapshot's transaction ids (pg_current_snapshot()): which transactions it sees. */
export interface XidSnapshot {
  xmin: bigint;
  xmax: bigint;
  running: ReadonlySet<bigint>;
}

export function parseXidSnapshot(text: string): XidSnapshot {
  const [xmin, xmax, running] = text.split(':');
  return { xmin: BigInt(xmin), xmax: BigInt(xmax), running: new Set(running ? running.split(',').filter(Boolean).map(BigInt) : []) };
}

const HALF_RANGE = 1n << 31n;

/**
 * Whether a committed transaction, known by its 32-bit id (as logical decoding gives it), is
 * visible in the snapshot. Its full id is the one with those low 32 bits nearest to xmax (as
 * PostgreSQL compares 32-bit ids): whatever the WAL and the topics hold is within 2^31
 * transactions of now, before or after.
 */
export function visibleInSnapshot(xid: number, snapshot: XidSnapshot): boolean {
  let full = ((snapshot.xmax >> 32n) << 32n) | BigInt(xid);
  if (full - snapshot.xmax >= HALF_RANGE) full -= 1n << 32n;
  else if (snapshot.xmax - full > HALF_RANGE) full += 1n << 32n;
  if (full < 0n) return false;
  return full < snapshot.xmin || (full < snapshot.xmax && !snapshot.running.has(full));
}

/**
 * The unconfirmed events of the schema's slot committed before `upto` and visible in the snapshot.
 * peekWalOutbox reads a temporary copy of the slot, which the relay's walsender holds; a peek that
 * still meets a busy slot (55006) is tried again.
 */
export async function readWalOutbox(db: Db, schema: string, producerId: string, upto: string, snapshot: XidSnapshot): Promise<WalOutboxView> {
  for (let attempt = 1; ; attempt++) {
    try {
      const pending = (await peekWalOutbox(db, schema, upto)).filter((message) => visibleInSnapshot(message.xid, snapshot));
      return { producerId, pending };
    } catch (error) {
      if (!(error instanceof WalOutboxSlotInUseError) || attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Schemas among `schemas` that have a WAL outbox slot. */
export async function walOutboxSchemas(db: Db, schemas: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ slot_name: string }>(`SELECT slot_name FROM pg_replication_slots WHERE slot_name = ANY($1::text[])`, [schemas.map(walOutboxSlotName)]);
  const slots = new Set(rows.map((row) => row.slot_name));
  return new Set(schemas.filter((schema) => slots.has(walOutboxSlotName(schema))));
}

const ageSeconds = (since: string, now: number) => Math.max(0, Math.round((now - Date.parse(since)) / 100) / 10);

/**
 * Adds the WAL outbox's events to the schema's outbox as the snapshot saw it (see WalOutboxView),
 * and notes the relay's events from transactions after the snapshot (`afterSnapshot`).
 */
export function addWalOutboxRows(outbox: ServiceOutbox, view: WalOutboxView, scan: ScannedTopic, snapshot: XidSnapshot, now = Date.now()): void {
  const add = (row: OutboxRow) => {
    if (outbox.byEventId.has(row.eventId)) return;
    outbox.rows.push(row);
    outbox.byEventId.set(row.eventId, row);
    const forKey = outbox.byKey.get(row.key) ?? [];
    forKey.push(row);
    outbox.byKey.set(row.key, forKey);
  };
  for (const event of scan.events.values()) {
    const { producer, xid, sequence, at } = event.published;
    if (producer !== view.producerId || xid === undefined) continue;
    if (!visibleInSnapshot(xid, snapshot)) {
      outbox.afterSnapshot.add(event.eventId);
      continue;
    }
    add({ id: `wal:${sequence}`, eventId: event.eventId, type: event.type, key: event.orderId, createdAt: at, publishedAt: at, ageSeconds: ageSeconds(at, now) });
  }
  for (const message of view.pending) {
    const envelope = JSON.parse(message.value.toString('utf8')) as { eventId: string; type: string; version: number };
    const createdAt = message.committedAt.toISOString();
    // One acknowledged by Kafka but not confirmed yet (the relay is between the two) was added above.
    add({
      id: `wal:${sequenceText(message.sequence)}`,
      eventId: envelope.eventId,
      type: `${envelope.type}.v${envelope.version}`,
      key: message.key,
      createdAt,
      publishedAt: null,
      ageSeconds: ageSeconds(createdAt, now),
    });
  }
  outbox.rows.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Of WAL outbox row ids (`wal:<sequence>`: commit LSN, then index), those whose commit the slot has not confirmed now. */
export async function walRowsStillUnconfirmed(db: Db, schema: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ confirmed: string | null }>(
    `SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1`,
    [walOutboxSlotName(schema)],
  );
  if (rows.length === 0 || rows[0].confirmed === null) return new Set(ids);
  const confirmed = BigInt(rows[0].confirmed.split('.')[0]);
  return new Set(ids.filter((id) => BigInt(`0x${id.slice(4).split('-')[0]}`) >= confirmed));
}
