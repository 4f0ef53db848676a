import { progress } from './progress';
import type { BenchStack } from './stack';

/**
 * The commit of delivery's FIRST transaction for each order, which no table keeps: the deliveries
 * row it inserted is updated by the second event (SCHEDULED), taking a new xmin, and created_at is
 * now(), the transaction's start. So the bench reads it from the WAL: before a load it creates a
 * publication of the schema's `deliveries` inserts only and a logical replication slot (pgoutput)
 * at the current WAL position; after the drain it consumes the slot, whose rows each carry the
 * inserting transaction's xid, and asks pg_xact_commit_timestamp(xid). The services' schema is
 * untouched; the slot keeps the load's WAL until it is read (then dropped), and decoding it costs
 * the server some CPU after the load, outside the measured window.
 *
 * Unavailable (and the bench falls back to the first transaction's start, saying so) when the server
 * keeps no commit times, refuses the slot or publication (a DATABASE_URL role without REPLICATION
 * or CREATE), or the table does not start with order_id (the decoding below reads the first column).
 */
export interface DeliveryFirstCommits {
  /** orderId → epoch ms of the commit that inserted the order's delivery row; undefined when unavailable. */
  read(): Promise<Map<string, number> | undefined>;
  /** Drops the slot and the publication (idempotent). */
  close(): Promise<void>;
  /** Why there are no first commits, when there are none. */
  unavailable?: string;
}

let watches = 0;

/** Where the names of a run's publications and slots start (BenchStack.cleanUpExternal drops what is left of them). */
export function firstCommitsNamePrefix(schemaPrefix: string): string {
  return `relay_${schemaPrefix}first_`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** Names of one watch's publication and slot: unique per run (the schema prefix) and per watch. */
export function firstCommitsName(schemaPrefix: string, index: number): string {
  const name = `${firstCommitsNamePrefix(schemaPrefix)}${index}`;
  if (name.length > 63) throw new Error(`${name}: longer than PostgreSQL's 63 characters`);
  return name;
}

/**
 * Reads the slot's insert messages: pgoutput protocol 1, 'I', relation id (4 bytes), 'N', column
 * count (2), then the first column as 't', length (4), text: a uuid is 36 characters at byte 14
 * (1-based). The guards keep anything else (another shape, a null or unchanged column) out.
 */
export function firstCommitsQuery(): string {
  return `SELECT convert_from(substring(data FROM 14 FOR 36), 'UTF8') AS order_id,
                 (extract(epoch FROM pg_xact_commit_timestamp(xid)) * 1000)::float8 AS commit_ms
            FROM pg_logical_slot_get_binary_changes($1::text::name, NULL, NULL, 'proto_version', '1', 'publication_names', $1::text)
           WHERE get_byte(data, 0) = 73 AND get_byte(data, 8) = 116 AND substring(data FROM 10 FOR 4) = '\\x00000024'::bytea`;
}

export async function watchDeliveryFirstCommits(stack: BenchStack, deliverySchema: string): Promise<DeliveryFirstCommits> {
  const none = (why: string): DeliveryFirstCommits => ({ read: async () => undefined, close: async () => undefined, unavailable: why });
  let name: string;
  try {
    name = firstCommitsName(stack.schemaFor(''), ++watches);
    const facts = await stack.db.query<{ commits: boolean; first_column: string | null }>(
      `SELECT current_setting('track_commit_timestamp') = 'on' AS commits,
              (SELECT attname FROM pg_attribute WHERE attrelid = format('%I.deliveries', $1::text)::regclass AND attnum = 1) AS first_column`,
      [deliverySchema],
    );
    if (!facts.rows[0]?.commits) return none('track_commit_timestamp is off');
    if (facts.rows[0].first_column !== 'order_id') return none(`${deliverySchema}.deliveries does not start with order_id`);
    await stack.db.query(`CREATE PUBLICATION "${name}" FOR TABLE "${deliverySchema}".deliveries WITH (publish = 'insert')`);
  } catch (error) {
    return none(`no publication (${(error as Error).message})`);
  }
  const dropPublication = () => stack.db.query(`DROP PUBLICATION IF EXISTS "${name}"`).then(() => undefined);
  try {
    await stack.db.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [name]);
  } catch (error) {
    await dropPublication().catch(() => undefined);
    return none(`no replication slot (${(error as Error).message})`);
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await stack.db.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [name]).catch((error: unknown) => progress.say(`dropping slot ${name}: ${(error as Error).message}`));
    await dropPublication().catch((error: unknown) => progress.say(`dropping publication ${name}: ${(error as Error).message}`));
  };
  return {
    read: async () => {
      const result = await stack.db.query<{ order_id: string; commit_ms: number | null }>(firstCommitsQuery(), [name]);
      const commits = new Map<string, number>();
      // An order's row is inserted once; a second insert (none expected) would be a later transaction.
      for (const row of result.rows) if (row.commit_ms !== null && !commits.has(row.order_id)) commits.set(row.order_id, Number(row.commit_ms));
      return commits;
    },
    close,
  };
}
