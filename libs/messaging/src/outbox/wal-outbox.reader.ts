import { Client, QueryResult } from 'pg';
import { IDLE_IN_TRANSACTION_TIMEOUT_MS } from '@relay/service-runtime';
import { decodePgoutput, formatLsn, Lsn, parseLsn } from './pgoutput.decoder';
import { decodeWalOutboxContent, walOutboxPrefix } from './wal-outbox.message';
import { ProducerSequence, producerSequence } from '../position/producer-sequence';
import type { RefusedEvent } from './relay-batching';
import { quarantineEvents } from './relay-quarantine';

/** The publication named in the slot's options: it has no tables, so only messages are decoded. */
export const WAL_OUTBOX_PUBLICATION = 'relay_outbox_messages';

/** The replication slot of a producing schema. */
export function walOutboxSlotName(schema: string): string {
  return `relay_outbox_${schema}`;
}

/**
 * The order of an outbox event: its transaction's commit LSN, then its place among the
 * transaction's outbox messages. It follows commits (a transaction that committed later has a
 * higher commit LSN, whenever it began or emitted), and it is the same every time the event is
 * read again, so a consumer may skip whatever is not above the highest sequence it applied.
 */
export interface WalSequence {
  commitLsn: Lsn;
  index: number;
}

export function compareWalSequences(a: WalSequence, b: WalSequence): number {
  if (a.commitLsn !== b.commitLsn) return a.commitLsn < b.commitLsn ? -1 : 1;
  return a.index - b.index;
}

/** The sequence as it travels and is stored (ProducerSequence: fixed-width hex, text order is sequence order). */
export function sequenceText(sequence: WalSequence): ProducerSequence {
  return producerSequence(sequence.commitLsn, sequence.index);
}

export interface WalOutboxMessage {
  sequence: WalSequence;
  /** The id of the transaction that wrote it (32 bits). */
  xid: number;
  committedAt: Date;
  topic: string;
  key: string;
  headers: Record<string, string>;
  /** The envelope's JSON, as the writer wrote it: the Kafka message value. */
  value: Buffer;
}

export interface WalOutboxBatch {
  /** In commit order, and in emit order within a transaction. */
  messages: WalOutboxMessage[];
  /**
   * Where confirm() moves the slot: past every transaction read, and past what had no outbox
   * message. Never behind the slot's confirmed position: the rows all come after it, and the bound
   * of a read that was not full is the flushed WAL, which the slot cannot pass.
   */
  confirmLsn: Lsn;
  /**
   * The read stopped at `maxChanges`: more may be waiting behind it. A full batch is confirmed
   * even without outbox messages of this schema (another schema's burst): otherwise every read
   * would return the same window and never reach what follows it.
   */
  full: boolean;
}

/**
 * A batch without outbox messages moves the slot only once that moves it this far: each move costs
 * PostgreSQL a decoding pass and a write (with fsync) of the slot's state file, while reading past
 * a little WAL of other schemas again costs little.
 */
const EMPTY_BATCH_CONFIRM_MIN_BYTES = 1024n * 1024n;

export interface WalOutboxReaderOptions {
  databaseUrl: string;
  /** The producing schema: only messages with the prefix `relay.outbox.<schema>` are returned. */
  schema: string;
  /** Default: walOutboxSlotName(schema). */
  slotName?: string;
  /** Default: WAL_OUTBOX_PUBLICATION. */
  publicationName?: string;
  /**
   * Rows of decoder output after which a read stops (pgoutput writes a Begin and a Commit row per
   * transaction besides its messages). PostgreSQL checks it only after a whole transaction, so a
   * batch never ends inside one and can be larger by one transaction. Default 500.
   */
  maxChanges?: number;
  /**
   * How much WAL confirm() moves the slot across before it asks PostgreSQL for a running-transactions
   * record (pg_log_standby_snapshot()), from which the slot's restart position can move up at a
   * later confirm. Every read() and confirm() decodes the WAL from the restart position, so this
   * bounds the WAL decoded again per call. Used only where the server (16 or later) lets this user
   * run that function; elsewhere only the server's own records (about every 15 s) move it.
   * Default 1 MiB.
   */
  restartLagLimitBytes?: number;
  /** The fence for a reader frozen between read() and confirm() (see read()). Default: the pools'. */
  idleInTransactionTimeoutMs?: number;
  applicationName?: string;
}

/** The server cannot decode its WAL (wal_level below logical, or no replication slots allowed). */
export class WalOutboxUnavailableError extends Error {}

/**
 * Another session is reading the slot at this very moment (PostgreSQL's "replication slot ... is
 * active for PID ..."). It is not a failure of this reader and nothing is lost: stand by and try
 * again after the usual poll interval, as when read() returns undefined.
 */
export class WalOutboxSlotInUseError extends Error {}

/**
 * Reads the outbox messages of one schema from the WAL, through a logical replication slot of
 * its own with the pgoutput plugin (protocol 1, messages on, a publication with no tables).
 *
 * Delivery is at-least-once, in commit order. read() peeks: it does not move the slot. Once Kafka
 * has acknowledged the batch, confirm() advances the slot past it; a crash (of the relay or of
 * PostgreSQL) before that reads the same messages again with the same sequences, which consumers
 * skip as not above what they applied. Messages of rolled-back transactions are never decoded.
 *
 * One reader per slot: read() opens a transaction that holds an advisory lock for the slot until
 * confirm() or release(), and returns undefined to any other reader meanwhile (stand by: the slot's
 * own exclusivity lasts only while a SQL function reads it, so two relays alternating between
 * calls would both publish). A reader frozen in between is fenced by PostgreSQL, which ends its
 * session after `idleInTransactionTimeoutMs`; its late confirm() then fails, and the next reader
 * publishes the batch again (same sequences).
 *
 * WAL retention: the slot keeps every WAL segment from its restart position on, read or not. A
 * slot nobody confirms (its service stopped, Kafka down) makes the WAL grow without bound, as the
 * outbox table did, unless the server sets `max_slot_wal_keep_size`; past that size PostgreSQL
 * invalidates the slot and its unread events are lost (read() then fails, naming the slot). Watch
 * backlogBytes(); drop the slot of a schema that no longer publishes.
 *
 * Cost: each read() and confirm() decodes the WAL from the slot's restart position, including the
 * changes of every table of the database, not only this schema's messages. That position moves only
 * at running-transactions records, which the server writes about every 15 s: at thousands of events
 * a second, every call would decode seconds of WAL again. confirm() therefore writes one after
 * every `restartLagLimitBytes` of WAL it confirms (see there). Besides, each call has a fixed cost
 * (a decoding context, and the catalog caches that decoding flushes when it ends): about 1 ms of
 * PostgreSQL CPU per batch more than the table outbox's claim and stamp, measured on 2 cores; a
 * batch of more than a few dozen events pays it back (writing a message costs less than a row).
 */
export class WalOutboxReader {
  readonly slotName: string;
  readonly publicationName: string;
  private readonly prefix: string;
  private readonly maxChanges: number;
  private readonly restartLagLimitBytes: number;
  private client: Client | undefined;
  private inBatch = false;
  /** Whether confirm() may call pg_log_standby_snapshot(); settled by ensureSlot(). */
  private canLogSnapshots = false;
  /**
   * Where this reader last saw the slot (ensureSlot) or moved it (confirm); behind the truth when
   * another instance moved it meanwhile, which only costs an early move. Kept here because any
   * catalog access right after a decoding call is slow (decoding ends by flushing the caches): a
   * query on pg_replication_slots per batch cost as much as the peek.
   */
  private lastConfirmedLsn: Lsn | undefined;
  /** Where this reader last asked for a running-transactions record (or saw the restart position). */
  private lastSnapshotLsn = 0n;

  constructor(private readonly options: WalOutboxReaderOptions) {
    this.slotName = options.slotName ?? walOutboxSlotName(options.schema);
    this.publicationName = options.publicationName ?? WAL_OUTBOX_PUBLICATION;
    this.prefix = walOutboxPrefix(options.schema);
    this.maxChanges = options.maxChanges ?? 500;
    this.restartLagLimitBytes = options.restartLagLimitBytes ?? 1024 * 1024;
    for (const name of [this.slotName, this.publicationName]) {
      // Slot names allow only these; both names are written into SQL text below.
      if (!/^[a-z0-9_]{1,63}$/.test(name)) throw new Error(`invalid slot or publication name ${JSON.stringify(name)}: use 1-63 of [a-z0-9_]`);
    }
  }

  /**
   * Creates the publication and the slot if missing. Call it before the service writes events:
   * a slot sees only transactions that commit after it exists. Creating a slot waits for the
   * transactions running at that moment to end.
   */
  async ensureSlot(): Promise<void> {
    const client = await this.connection();
    const [settings] = (await client.query<{ wal_level: string; max_replication_slots: string; can_log_snapshots: boolean }>(
      `SELECT current_setting('wal_level') AS wal_level, current_setting('max_replication_slots') AS max_replication_slots,
              to_regprocedure('pg_log_standby_snapshot()') IS NOT NULL AND has_function_privilege('pg_log_standby_snapshot()', 'EXECUTE') AS can_log_snapshots`,
    )).rows;
    this.canLogSnapshots = settings.can_log_snapshots;
    if (settings.wal_level !== 'logical' || settings.max_replication_slots === '0') {
      throw new WalOutboxUnavailableError(
        `the WAL outbox needs logical decoding, but this PostgreSQL server has wal_level=${settings.wal_level} and ` +
          `max_replication_slots=${settings.max_replication_slots}: set wal_level = logical and max_replication_slots to ` +
          `at least one per producing schema (both need a restart), or use the table outbox`,
      );
    }
    // A role that may not create them (managed servers often give applications neither CREATE on
    // the database nor REPLICATION) cannot have a WAL outbox: say so, rather than fail to start.
    await ignoreDuplicate(client.query(`CREATE PUBLICATION ${this.publicationName}`)).catch(unavailableWithoutPrivilege('create the publication (CREATE on the database)'));
    // Slot names are unique in the whole server, not per database.
    const found = await client.query<{ database: string | null; plugin: string | null; current: string }>(
      `SELECT database, plugin, current_database() AS current FROM pg_replication_slots WHERE slot_name = $1`,
      [this.slotName],
    );
    if (found.rowCount === 0) {
      await ignoreDuplicate(client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [this.slotName]))
        .catch(unavailableWithoutPrivilege('create a replication slot (the REPLICATION attribute)'))
        .catch((error: unknown) => {
          if (pgCode(error) !== '53400') throw error;
          throw new WalOutboxUnavailableError(
            `every replication slot of this PostgreSQL server is in use (max_replication_slots=${settings.max_replication_slots}): ` +
              `drop the slots of schemas that no longer publish, raise max_replication_slots (needs a restart), or use the table outbox`,
          );
        });
    }
    const [position] = (await client.query<{ confirmed: string; restart: string }>(
      `SELECT confirmed_flush_lsn::text AS confirmed, restart_lsn::text AS restart FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database() AND plugin = 'pgoutput'`,
      [this.slotName],
    )).rows;
    if (position) {
      this.lastConfirmedLsn = parseLsn(position.confirmed);
      this.lastSnapshotLsn = parseLsn(position.restart);
    }
    if (found.rowCount === 0) return;
    if (found.rows[0].database !== found.rows[0].current || found.rows[0].plugin !== 'pgoutput') {
      const { database, plugin, current } = found.rows[0];
      throw new Error(
        `replication slot ${this.slotName} belongs to database ${database ?? '(none: a physical slot)'} with plugin ${plugin ?? '(none)'}, ` +
          `not to ${current} with pgoutput: give this reader another slotName`,
      );
    }
  }

  /**
   * The next batch, or undefined when another reader of this slot holds it (stand by). Up to
   * `maxChanges` rows, whole transactions only; the batch stays open until confirm() or release().
   */
  async read(): Promise<WalOutboxBatch | undefined> {
    if (this.inBatch) throw new Error('read() while a batch is open: confirm() or release() it first');
    const client = await this.connection();
    const slot = client.escapeLiteral(this.slotName);
    let results: Array<QueryResult>;
    try {
      // The bound is the flushed WAL at the start, taken after the lock: a read that returns
      // fewer rows than its limit has decoded every transaction that committed before it, so the
      // slot may move up to it even when none of them wrote an outbox message (otherwise every
      // read would decode them again). The peek runs only when the lock was taken (a one-time
      // filter above the function scan).
      results = (await client.query(
        `BEGIN;
         SELECT set_config('relay.outbox_locked', pg_try_advisory_xact_lock(hashtext(${client.escapeLiteral(`relay-wal-outbox:${this.slotName}`)}))::text, true);
         SELECT set_config('relay.outbox_upto', pg_current_wal_flush_lsn()::text, true);
         SELECT current_setting('relay.outbox_locked') = 'true' AS locked, current_setting('relay.outbox_upto') AS upto;
         SELECT lsn::text AS lsn, data FROM pg_logical_slot_peek_binary_changes(${slot}, current_setting('relay.outbox_upto')::pg_lsn, ${this.maxChanges},
           'proto_version', '1', 'publication_names', ${client.escapeLiteral(this.publicationName)}, 'messages', 'true')
          WHERE current_setting('relay.outbox_locked') = 'true'`,
      )) as unknown as Array<QueryResult>;
    } catch (error) {
      await this.rollback();
      throw this.explain(error);
    }
    const [{ locked, upto }] = results[3].rows as Array<{ locked: boolean; upto: string }>;
    if (!locked) {
      await this.rollback();
      return undefined;
    }
    this.inBatch = true;
    const rows = results[4].rows as Array<{ lsn: string; data: Buffer }>;
    try {
      return this.decode(rows, parseLsn(upto));
    } catch (error) {
      await this.release();
      throw error;
    }
  }

  /** Moves the slot past `batch` (call it once Kafka acknowledged it) and ends the batch. */
  async confirm(batch: WalOutboxBatch): Promise<void> {
    if (!this.inBatch) throw new Error('confirm() without an open batch');
    const client = await this.connection();
    const slot = client.escapeLiteral(this.slotName);
    const target = batch.confirmLsn;
    if (!batch.full && batch.messages.length === 0 && this.lastConfirmedLsn !== undefined && target - this.lastConfirmedLsn < EMPTY_BATCH_CONFIRM_MIN_BYTES) {
      await this.release();
      return;
    }
    // The running-transactions record, when due, is written after the COMMIT, on its own.
    const snapshotDue = this.canLogSnapshots && target - this.lastSnapshotLsn > BigInt(this.restartLagLimitBytes);
    try {
      await client.query(`SELECT pg_replication_slot_advance(${slot}, '${formatLsn(target)}'); COMMIT${snapshotDue ? '; SELECT pg_log_standby_snapshot()' : ''}`);
      this.lastConfirmedLsn = target;
      if (snapshotDue) this.lastSnapshotLsn = target;
    } catch (error) {
      await this.rollback();
      throw this.explain(error);
    } finally {
      this.inBatch = false;
    }
  }

  /**
   * Keeps events of the open batch that Kafka refused for good in the schema's relay_quarantine,
   * in the batch's transaction: they are committed by confirm() (which moves the slot past them),
   * and gone with release().
   */
  async quarantine(events: readonly RefusedEvent[]): Promise<void> {
    if (!this.inBatch) throw new Error('quarantine() without an open batch');
    if (events.length === 0) return;
    await quarantineEvents(await this.connection(), this.options.schema, events);
  }

  /** Ends the batch without moving the slot (Kafka refused it): the next read() returns it again. */
  async release(): Promise<void> {
    this.inBatch = false;
    await this.rollback();
  }

  /** WAL the slot keeps that it has not confirmed, in bytes; null when the slot is missing. */
  async backlogBytes(): Promise<number | null> {
    const client = await this.connection();
    const { rows } = await client.query<{ bytes: string }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS bytes FROM pg_replication_slots WHERE slot_name = $1`,
      [this.slotName],
    );
    return rows.length === 0 ? null : Number(rows[0].bytes);
  }

  /** Drops the slot (its unread messages are lost): for a schema that no longer publishes, and tests. */
  async dropSlot(): Promise<void> {
    const client = await this.connection();
    await client.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [this.slotName]);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.inBatch = false;
    await client?.end().catch(() => undefined);
  }

  private decode(rows: Array<{ lsn: string; data: Buffer }>, upto: Lsn): WalOutboxBatch {
    const messages = decodeWalOutboxRows(rows, this.prefix);
    // The lsn column of a Commit row is the end of its commit record. A full batch may have
    // stopped before the bound, so it moves only past its last row; otherwise up to the bound.
    const last = rows.length > 0 ? parseLsn(rows[rows.length - 1].lsn) : 0n;
    const full = rows.length >= this.maxChanges;
    const confirmLsn = full ? last : last > upto ? last : upto;
    return { messages, confirmLsn, full };
  }

  private async connection(): Promise<Client> {
    if (this.client) return this.client;
    const timeoutMs = this.options.idleInTransactionTimeoutMs ?? IDLE_IN_TRANSACTION_TIMEOUT_MS;
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: this.options.applicationName ?? `${this.options.schema}-wal-outbox-reader`,
      options: `-c idle_in_transaction_session_timeout=${timeoutMs}`,
    });
    client.on('error', () => {
      if (this.client === client) this.client = undefined;
      this.inBatch = false;
    });
    await client.connect().catch(async (error: unknown) => {
      await client.end().catch(() => undefined);
      throw error;
    });
    this.client = client;
    return client;
  }

  /** Rolls back; a connection in an unknown state is replaced. */
  private async rollback(): Promise<void> {
    const client = this.client;
    if (!client) return;
    await client.query('ROLLBACK').catch(async () => {
      if (this.client === client) this.client = undefined;
      await client.end().catch(() => undefined);
    });
  }

  private explain(error: unknown): unknown {
    const code = pgCode(error);
    const message = error instanceof Error ? error.message : String(error);
    if (code === '55006') return new WalOutboxSlotInUseError(`the WAL outbox slot ${this.slotName} is being read by another session: ${message}`);
    if (code === '42704' && message.includes('replication slot')) {
      return new Error(`the WAL outbox slot ${this.slotName} does not exist (WalOutboxReader.ensureSlot creates it): ${message}`);
    }
    if (code === '55000' && /wal_level/.test(message)) {
      return new WalOutboxUnavailableError(`the WAL outbox needs wal_level = logical on the PostgreSQL server: ${message}`);
    }
    if (code === '55000') {
      // An invalidated slot (max_slot_wal_keep_size exceeded, idle_replication_slot_timeout, ...).
      return new Error(`the WAL outbox slot ${this.slotName} cannot be read; events it had not confirmed may be lost: ${message}`);
    }
    return error;
  }
}

function pgCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** Turns "permission denied" (42501) into WalOutboxUnavailableError, naming what the role may not do. */
function unavailableWithoutPrivilege(what: string): (error: unknown) => never {
  return (error: unknown) => {
    if (pgCode(error) !== '42501') throw error;
    throw new WalOutboxUnavailableError(`this PostgreSQL role may not ${what}: ${(error as Error).message}; grant it, or use the table outbox`);
  };
}

/** 42710 (or 23505 on a catalog index): created meanwhile by another instance. */
async function ignoreDuplicate(query: Promise<unknown>): Promise<void> {
  await query.catch((error: unknown) => {
    if (pgCode(error) !== '42710' && pgCode(error) !== '23505') throw error;
  });
}

/** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
const POSTGRES_EPOCH_MICROS = 946_684_800_000_000n;

/**
 * The outbox messages with `prefix` among rows of pgoutput output (whole transactions), in commit
 * order; the rest (other schemas' messages, Begin and Commit rows) is read past.
 */
export function decodeWalOutboxRows(rows: ReadonlyArray<{ lsn: string; data: Buffer }>, prefix: string): WalOutboxMessage[] {
  const messages: WalOutboxMessage[] = [];
  let transaction: (WalSequence & { xid: number; committedAt: Date }) | undefined;
  for (const row of rows) {
    const record = decodePgoutput(row.data);
    if (record.type === 'begin') {
      const committedAt = new Date(Number((record.commitTimestamp + POSTGRES_EPOCH_MICROS) / 1000n));
      transaction = { commitLsn: record.finalLsn, index: 0, xid: record.xid, committedAt };
    } else if (record.type === 'commit') {
      if (transaction?.commitLsn !== record.commitLsn) throw new Error(`pgoutput Commit at ${formatLsn(record.commitLsn)} without its Begin`);
      transaction = undefined;
    } else if (record.type === 'message' && record.transactional && record.prefix === prefix) {
      if (!transaction) throw new Error(`pgoutput transactional Message at ${formatLsn(record.lsn)} outside a transaction`);
      const { commitLsn, xid, committedAt } = transaction;
      messages.push({ sequence: { commitLsn, index: transaction.index++ }, xid, committedAt, ...decodeWalOutboxContent(record.content) });
    }
  }
  if (transaction) throw new Error(`pgoutput transaction ${formatLsn(transaction.commitLsn)} without its Commit`);
  return messages;
}

/**
 * The messages of a schema's outbox slot not confirmed yet, from transactions that committed
 * before `upto`, without moving the slot or taking the relay's lock: for the audit, which needs
 * what was written and not yet acknowledged by Kafka. PostgreSQL refuses while the relay is reading
 * the slot that very moment (WalOutboxSlotInUseError): try again.
 */
export async function peekWalOutbox(client: Pick<Client, 'query'>, schema: string, upto: string): Promise<WalOutboxMessage[]> {
  try {
    const { rows } = await client.query<{ lsn: string; data: Buffer }>(
      `SELECT lsn::text AS lsn, data FROM pg_logical_slot_peek_binary_changes($1, $2::pg_lsn, NULL,
         'proto_version', '1', 'publication_names', $3, 'messages', 'true')`,
      [walOutboxSlotName(schema), upto, WAL_OUTBOX_PUBLICATION],
    );
    return decodeWalOutboxRows(rows, walOutboxPrefix(schema));
  } catch (error) {
    if (pgCode(error) === '55006') throw new WalOutboxSlotInUseError(`the WAL outbox slot of ${schema} is being read by its relay: ${(error as Error).message}`);
    throw error;
  }
}
