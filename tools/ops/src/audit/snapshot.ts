import { Db, requireTables, table } from '../db';
import { QuarantinedEvent, readQuarantine, schemasWithQuarantine } from '../quarantine';
import { ServiceId, SERVICES } from './model';
import { parseXidSnapshot, readWalOutbox, walOutboxSchemas, WalOutboxView, walRowsStillUnconfirmed, XidSnapshot } from './wal-outbox-view';
import { ResolvedAuditOptions } from './types';

export interface OutboxRow {
  id: string;
  eventId: string;
  type: string;
  /** The Kafka key: the order id for every Relay event. */
  key: string;
  createdAt: string;
  publishedAt: string | null;
  /** Seconds between the row's creation and the snapshot. */
  ageSeconds: number;
  /**
   * Set when its relay quarantined the event (Kafka refused it for good): passed by the relay
   * (publishedAt is when), never published. Reported once, in check 1 (quarantine-view.ts).
   */
  quarantine?: QuarantinedEvent;
}

export interface ServiceOutbox {
  schema: string;
  /** The outbox table's rows and, for a WAL outbox, its events the snapshot saw (wal-outbox-view.ts). */
  rows: OutboxRow[];
  /** Events its WAL outbox relay published from transactions after the snapshot (in flight). */
  afterSnapshot: Set<string>;
  byEventId: Map<string, OutboxRow>;
  /** Rows by key (order id), oldest first. */
  byKey: Map<string, OutboxRow[]>;
}

export interface OrderRow {
  status: string;
  createdAt: string;
}

export interface ReservationRow {
  status: string;
  createdAt: string;
}

export interface DeliveryRow {
  status: string;
  stockStatus: string;
  cancelReason: string | null;
  createdAt: string;
}

/**
 * The three services' schemas at one instant (one REPEATABLE READ transaction over the one
 * database they share): an effect, its group's position past the event and the events it raised
 * commit together, so they are always seen together.
 */
export interface Snapshot {
  orders: Map<string, OrderRow>;
  reservations: Map<string, ReservationRow>;
  deliveries: Map<string, DeliveryRow>;
  outbox: Record<ServiceId, ServiceOutbox>;
  /** Each group's bookkeeping of what it applied (see applied-events.ts). */
  applied: Record<ServiceId, GroupBookkeeping>;
  /** Orders that reached one status more than once (the state machine only moves forward). */
  repeatedTransitions: { orderId: string; status: string; times: number }[];
  /** The transactions the snapshot sees. */
  xids: XidSnapshot;
  /** The services whose schema writes to a WAL outbox, with what its slot held unconfirmed. */
  wal: Partial<Record<ServiceId, WalOutboxView>>;
  /** The events each service's relay quarantined (relay_quarantine; none where the table is missing). */
  quarantine: Record<ServiceId, QuarantinedEvent[]>;
}

/** What a consumer group stored of what it applied, in the same transactions as its effects. */
export interface GroupBookkeeping {
  /** The next offset to apply, by `topic:partition` (consumer_positions). */
  positions: Map<string, bigint>;
  /** Messages the group parked and has not applied since, as `topic:partition:offset` (parked_events). */
  parked: Set<string>;
  /** Events without a producer sequence, applied by id (processed_events): eventId → event type. */
  appliedById: Map<string, string>;
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

const BOOKKEEPING = ['consumer_positions', 'parked_events', 'processed_events'];

const TABLES: Record<ServiceId, string[]> = {
  orders: ['orders', 'outbox', ...BOOKKEEPING],
  inventory: ['reservations', 'outbox', ...BOOKKEEPING],
  delivery: ['deliveries', 'outbox', ...BOOKKEEPING],
};

async function readOutbox(db: Db, schema: string): Promise<ServiceOutbox> {
  const { rows } = await db.query<{ id: string; event_id: string; event_type: string; message_key: string; created_at: Date; published_at: Date | null; age: number }>(
    `SELECT id::text AS id, event_id::text AS event_id, event_type, message_key, created_at, published_at,
            EXTRACT(EPOCH FROM now() - created_at)::float AS age
     FROM ${table(schema, 'outbox')} ORDER BY id`,
  );
  const outbox: ServiceOutbox = { schema, rows: [], afterSnapshot: new Set(), byEventId: new Map(), byKey: new Map() };
  for (const row of rows) {
    const entry: OutboxRow = {
      id: row.id,
      eventId: row.event_id,
      type: row.event_type,
      key: row.message_key,
      createdAt: iso(row.created_at)!,
      publishedAt: iso(row.published_at),
      ageSeconds: Math.max(0, Math.round(row.age * 10) / 10),
    };
    outbox.rows.push(entry);
    outbox.byEventId.set(entry.eventId, entry);
    const forKey = outbox.byKey.get(entry.key) ?? [];
    forKey.push(entry);
    outbox.byKey.set(entry.key, forKey);
  }
  return outbox;
}

async function readBookkeeping(db: Db, schema: string, group: string): Promise<GroupBookkeeping> {
  const positions = await db.query<{ topic: string; partition: number; next_offset: string }>(
    `SELECT topic, partition, next_offset::text AS next_offset FROM ${table(schema, 'consumer_positions')} WHERE consumer_group = $1 AND next_offset IS NOT NULL`,
    [group],
  );
  const parked = await db.query<{ topic: string; partition: number; kafka_offset: string }>(
    `SELECT topic, partition, kafka_offset::text AS kafka_offset FROM ${table(schema, 'parked_events')} WHERE consumer_group = $1`,
    [group],
  );
  const byId = await db.query<{ event_id: string; event_type: string }>(
    `SELECT event_id::text AS event_id, event_type FROM ${table(schema, 'processed_events')} WHERE consumer_group = $1`,
    [group],
  );
  return {
    positions: new Map(positions.rows.map((row) => [`${row.topic}:${row.partition}`, BigInt(row.next_offset)])),
    parked: new Set(parked.rows.map((row) => `${row.topic}:${row.partition}:${row.kafka_offset}`)),
    appliedById: new Map(byId.rows.map((row) => [row.event_id, row.event_type])),
  };
}

export async function readSnapshot(db: Db, options: ResolvedAuditOptions): Promise<Snapshot> {
  const schemas: Record<ServiceId, string> = { orders: options.ordersSchema, inventory: options.inventory.schema, delivery: options.delivery.schema };
  for (const service of SERVICES) await requireTables(db, schemas[service], TABLES[service], `${service}-schema`);
  const walSchemas = await walOutboxSchemas(db, SERVICES.map((service) => schemas[service]));
  const quarantineSchemas = await schemasWithQuarantine(db, SERVICES.map((service) => schemas[service]));
  const [{ system_id: systemId }] = (await db.query<{ system_id: string }>(`SELECT system_identifier::text AS system_id FROM pg_control_system()`)).rows;
  await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  let xids: XidSnapshot;
  let walUpTo: string;
  let snapshot: Snapshot;
  try {
    // The snapshot is taken by this first statement; every transaction it sees committed before
    // the WAL position read here.
    const [position] = (await db.query<{ snapshot: string; lsn: string }>(`SELECT pg_current_snapshot()::text AS snapshot, pg_current_wal_lsn()::text AS lsn`)).rows;
    xids = parseXidSnapshot(position.snapshot);
    walUpTo = position.lsn;
    const orders = await db.query<{ id: string; status: string; created_at: Date }>(`SELECT id::text AS id, status, created_at FROM ${table(schemas.orders, 'orders')}`);
    const repeated = await db.query<{ order_id: string; to_status: string; times: number }>(
      `SELECT o.id::text AS order_id, entry->>'to' AS to_status, count(*)::int AS times
       FROM ${table(schemas.orders, 'orders')} AS o CROSS JOIN LATERAL jsonb_array_elements(o.status_history) AS entry
       GROUP BY o.id, entry->>'to' HAVING count(*) > 1`,
    );
    const reservations = await db.query<{ order_id: string; status: string; created_at: Date }>(
      `SELECT order_id::text AS order_id, status, created_at FROM ${table(schemas.inventory, 'reservations')}`,
    );
    const deliveries = await db.query<{ order_id: string; status: string; stock_status: string; cancel_reason: string | null; created_at: Date }>(
      `SELECT order_id::text AS order_id, status, stock_status, cancel_reason, created_at FROM ${table(schemas.delivery, 'deliveries')}`,
    );
    const outbox = {} as Record<ServiceId, ServiceOutbox>;
    const applied = {} as Record<ServiceId, GroupBookkeeping>;
    const quarantine = {} as Record<ServiceId, QuarantinedEvent[]>;
    for (const service of SERVICES) {
      outbox[service] = await readOutbox(db, schemas[service]);
      applied[service] = await readBookkeeping(db, schemas[service], options[service].group);
      quarantine[service] = quarantineSchemas.has(schemas[service]) ? (await readQuarantine(db, schemas[service])).events : [];
    }
    snapshot = {
      xids,
      wal: {},
      orders: new Map(orders.rows.map((row) => [row.id, { status: row.status, createdAt: iso(row.created_at)! }])),
      reservations: new Map(reservations.rows.map((row) => [row.order_id, { status: row.status, createdAt: iso(row.created_at)! }])),
      deliveries: new Map(
        deliveries.rows.map((row) => [row.order_id, { status: row.status, stockStatus: row.stock_status, cancelReason: row.cancel_reason, createdAt: iso(row.created_at)! }]),
      ),
      outbox,
      applied,
      quarantine,
      repeatedTransitions: repeated.rows.map((row) => ({ orderId: row.order_id, status: row.to_status, times: row.times })),
    };
  } finally {
    await db.query('COMMIT');
  }
  // After the snapshot's transaction: a peek that meets the relay reading the slot fails, and is
  // tried again (which an aborted transaction would not allow). What it returns is bounded by the
  // snapshot's WAL position and filtered by its transactions.
  for (const service of SERVICES) {
    const schema = schemas[service];
    if (walSchemas.has(schema)) snapshot.wal[service] = await readWalOutbox(db, schema, `wal:${schema}@${systemId}`, walUpTo, xids);
  }
  return snapshot;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Of `ids` (order ids), those with a row in `schema.tableName` now (for rows written after the snapshot). */
export async function existingNow(db: Db, schema: string, tableName: 'orders' | 'reservations' | 'deliveries', ids: Iterable<string>): Promise<Set<string>> {
  const uuids = [...new Set(ids)].filter((id) => UUID.test(id));
  if (uuids.length === 0) return new Set();
  const column = tableName === 'orders' ? 'id' : 'order_id';
  const { rows } = await db.query<{ id: string }>(`SELECT ${column}::text AS id FROM ${table(schema, tableName)} WHERE ${column} = ANY($1::uuid[])`, [uuids]);
  return new Set(rows.map((row) => row.id));
}

/** Of `eventIds`, those an outbox holds now. */
export async function outboxEventsNow(db: Db, schema: string, eventIds: Iterable<string>): Promise<Set<string>> {
  const uuids = [...new Set(eventIds)].filter((id) => UUID.test(id));
  if (uuids.length === 0) return new Set();
  const { rows } = await db.query<{ event_id: string }>(`SELECT event_id::text AS event_id FROM ${table(schema, 'outbox')} WHERE event_id = ANY($1::uuid[])`, [uuids]);
  return new Set(rows.map((row) => row.event_id));
}

/** Of outbox row ids, those still unpublished now (a WAL outbox's: not confirmed by its slot). */
export async function stillUnpublished(db: Db, schema: string, allIds: readonly string[]): Promise<Set<string>> {
  const walIds = allIds.filter((id) => id.startsWith('wal:'));
  const ids = allIds.filter((id) => !id.startsWith('wal:'));
  const wal = await walRowsStillUnconfirmed(db, schema, walIds);
  if (ids.length === 0) return wal;
  const { rows } = await db.query<{ id: string }>(`SELECT id::text AS id FROM ${table(schema, 'outbox')} WHERE id = ANY($1::bigint[]) AND published_at IS NULL`, [ids]);
  return new Set([...wal, ...rows.map((row) => row.id)]);
}
