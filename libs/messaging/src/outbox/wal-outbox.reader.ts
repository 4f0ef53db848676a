import { randomBytes } from 'node:crypto';
import { Client, ClientConfig, QueryResult } from 'pg';
import { IDLE_IN_TRANSACTION_TIMEOUT_MS } from '@relay/service-runtime';
import { decodePgoutput, formatLsn, Lsn, parseLsn, PgoutputRecord } from './pgoutput.decoder';
import { decodeWalOutboxContent, walOutboxPrefix } from './wal-outbox.message';
import { ProducerSequence, producerSequence } from '../position/producer-sequence';
import type { RefusedEvent } from './relay-batching';
import { quarantineEvents } from './relay-quarantine';
import { parseReplicationMessage, postgresTimeToDate, standbyStatusUpdate } from './wal-stream.protocol';

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
   * Where confirm() moves the slot: past every transaction of the batch, and, when the batch holds
   * everything received, past what the walsender sent without outbox messages of this schema.
   * Never behind the slot's confirmed position.
   */
  confirmLsn: Lsn;
  /** More transactions are waiting behind this batch: read again at once. */
  full: boolean;
}

export interface WalOutboxReaderOptions {
  databaseUrl: string;
  /** The producing schema: only messages with the prefix `relay.outbox.<schema>` are returned. */
  schema: string;
  /** Default: walOutboxSlotName(schema). */
  slotName?: string;
  /** Default: WAL_OUTBOX_PUBLICATION. */
  publicationName?: string;
  /**
   * Rows of pgoutput output after which a batch stops, counted as the SQL functions count them (a
   * Begin, a Commit and one row per outbox message of this schema per transaction). A batch never
   * ends inside a transaction, so it can be larger by one transaction. Default 500.
   */
  maxChanges?: number;
  /**
   * Received and unconfirmed outbox messages (their bytes) past which the reader stops reading its
   * connection, until the relay confirms what it took: the walsender then waits, and PostgreSQL
   * keeps the rest in the WAL. A transaction is always read whole, so memory stays below this plus
   * one transaction plus one socket read. Decoded, the messages take roughly two to three times their
   * bytes of heap, in the consumer's process when it catches up. Default 1 MiB: a few relay
   * batches (OUTBOX_BATCH_SIZE events of a few hundred bytes each) ahead of the one publishing.
   */
  maxBufferedBytes?: number;
  /**
   * The fence for a frozen reader: the walsender ends a connection that has not answered for this
   * long (wal_sender_timeout), and the reader ends its own connection when a batch stays open this
   * long (read() to confirm() or release()). Default: the pools' idle_in_transaction_session_timeout.
   */
  idleInTransactionTimeoutMs?: number;
  applicationName?: string;
}

/** The server cannot decode its WAL (wal_level below logical, no replication slots, or a role without REPLICATION). */
export class WalOutboxUnavailableError extends Error {}

/**
 * Another session holds the slot (PostgreSQL's "replication slot ... is active for PID ..."). It is
 * not a failure of this reader and nothing is lost: stand by and try again after the usual poll
 * interval, as when read() returns undefined.
 */
export class WalOutboxSlotInUseError extends Error {}

/** A transaction read whole, with this schema's outbox messages. */
interface ReceivedTransaction {
  messages: WalOutboxMessage[];
  /** The end of its commit record: the position to confirm once it is published. */
  endLsn: Lsn;
  /** Bytes of its messages' contents. */
  bytes: number;
}

interface OpenTransaction extends WalSequence {
  xid: number;
  committedAt: Date;
  messages: WalOutboxMessage[];
  bytes: number;
}

/**
 * Puts pgoutput records back together into whole transactions and keeps the transactional
 * messages with one prefix, each with its sequence (the commit LSN from the Begin, its index among
 * them): the one place that turns decoded WAL into outbox messages, for the stream and for the peek.
 */
class WalOutboxTransactions {
  private open: OpenTransaction | undefined;

  constructor(private readonly prefix: string) {}

  /** Between a Begin and its Commit. */
  get inTransaction(): boolean {
    return this.open !== undefined;
  }

  /** Bytes of the kept messages of the transaction being read. */
  get openBytes(): number {
    return this.open?.bytes ?? 0;
  }

  /** Forgets a transaction read in part (its connection ended). */
  reset(): void {
    this.open = undefined;
  }

  /** Takes one record; returns the transaction its Commit completes, if it is one, and the bytes it kept. */
  add(record: PgoutputRecord): { keptBytes: number; committed?: ReceivedTransaction } {
    if (record.type === 'begin') {
      this.open = { commitLsn: record.finalLsn, index: 0, xid: record.xid, committedAt: postgresTimeToDate(record.commitTimestamp), messages: [], bytes: 0 };
    } else if (record.type === 'message' && record.transactional && record.prefix === this.prefix) {
      const open = this.open;
      if (!open) throw new Error(`pgoutput transactional Message at ${formatLsn(record.lsn)} outside a transaction`);
      // pg-protocol reuses its buffer for later reads: keep a copy.
      const content = Buffer.from(record.content);
      open.messages.push({ sequence: { commitLsn: open.commitLsn, index: open.index++ }, xid: open.xid, committedAt: open.committedAt, ...decodeWalOutboxContent(content) });
      open.bytes += content.length;
      return { keptBytes: content.length };
    } else if (record.type === 'commit') {
      const open = this.open;
      if (open?.commitLsn !== record.commitLsn) throw new Error(`pgoutput Commit at ${formatLsn(record.commitLsn)} without its Begin`);
      this.open = undefined;
      return { keptBytes: 0, committed: { messages: open.messages, endLsn: record.endLsn, bytes: open.bytes } };
    }
    return { keptBytes: 0 };
  }

  /** Fails when the records ended inside a transaction. */
  assertComplete(): void {
    if (this.open) throw new Error(`pgoutput transaction ${formatLsn(this.open.commitLsn)} without its Commit`);
  }
}

/** One replication connection in COPY BOTH mode; replaced as a whole when it ends. */
interface ReplicationStream {
  client: Client;
  ended: boolean;
  /** Why it ended, for the confirm or the wait that finds it gone. */
  endError?: Error;
  /** Called once, when it ends. */
  onEnd: Array<(error: Error) => void>;
  /** Called on every primary keepalive. */
  onKeepalive: Array<() => void>;
  paused: boolean;
}

interface OpenBatch {
  batch: WalOutboxBatch;
  transactions: ReceivedTransaction[];
  bytes: number;
  openedAt: number;
  stream: ReplicationStream;
}

/**
 * Reads the outbox messages of one schema from the WAL over a streaming logical replication
 * connection (START_REPLICATION on a slot of its own, pgoutput protocol 1, messages on, a
 * publication with no tables): the walsender decodes each transaction once, at its commit, and
 * pushes it; the reader keeps the whole transactions that hold this schema's messages and hands
 * them out in batches.
 *
 * Delivery is at-least-once, in commit order. The slot moves only when confirm() sends the
 * walsender a status update whose flush position is past the batch, once Kafka has acknowledged
 * it; a crash (of the relay or of PostgreSQL) before that makes the next connection start again
 * from the confirmed position, with the same messages and the same sequences, which consumers skip
 * as not above what they applied. Messages of rolled-back transactions are never decoded.
 *
 * One reader per slot: PostgreSQL lets one walsender hold a slot (55006 "replication slot ... is
 * active"); a reader that finds it held returns undefined from read() and tries again at its next
 * read (stand by). It takes over when the holder's connection ends: the holder closed it or died
 * (the kernel closes its socket), or was fenced: the walsender ends a connection silent for
 * `idleInTransactionTimeoutMs` (wal_sender_timeout, set per connection), and the reader ends its
 * own when a batch stays open that long. A fenced reader's late confirm() fails; the next reader
 * publishes the batch again (same sequences).
 *
 * Memory: the walsender pushes as fast as it decodes; past `maxBufferedBytes` of received,
 * unconfirmed messages the reader stops reading the socket (the server waits), and reads on once
 * the relay confirmed. Status updates still go out meanwhile (every quarter of the fence), so a
 * paused reader is not fenced.
 *
 * WAL retention: the slot keeps every WAL segment from its restart position on, read or not. A
 * slot nobody confirms (its service stopped, Kafka down) makes the WAL grow without bound, as the
 * outbox table did, unless the server sets `max_slot_wal_keep_size`; past that size PostgreSQL
 * invalidates the slot and its unread events are lost (read() then fails, naming the slot). Watch
 * backlogBytes(); drop the slot of a schema that no longer publishes.
 *
 * Cost: the walsender decodes the WAL once, as it is written, including the changes of every table
 * of the database (filtered out by the publication), where the SQL functions decoded it again from
 * the slot's restart position on every read and every confirm. A confirm is one status update
 * (and the walsender's keepalive in answer). The restart position moves at the running-transactions
 * records the server writes (about every 15 s while there is activity); it bounds what a new
 * connection decodes again, not the steady-state cost.
 *
 * Besides the replication connection, the reader keeps an ordinary one for the slot's creation,
 * backlogBytes() and quarantine() (a replication connection in COPY mode cannot run SQL).
 */
export class WalOutboxReader {
  readonly slotName: string;
  readonly publicationName: string;
  private readonly maxChanges: number;
  private readonly maxBufferedBytes: number;
  private readonly fenceMs: number;
  private readonly applicationName: string;
  private sql: Client | undefined;
  private stream: ReplicationStream | undefined;
  private starting: Promise<ReplicationStream | undefined> | undefined;
  private readonly received: ReceivedTransaction[] = [];
  private readonly transactions: WalOutboxTransactions;
  private batch: OpenBatch | undefined;
  /** Everything up to here has been received whole (commit ends, keepalives between transactions). */
  private receivedLsn = 0n;
  /** The flush position last sent to (or, at start, read from) the slot. */
  private confirmedLsn = 0n;
  /** Bytes of messages in `received` and in the open batch. */
  private bufferedBytes = 0;
  /** The most bytes buffered at once since this reader was made (for tests and diagnostics). */
  private highWaterBytes = 0;
  private statusTimer: NodeJS.Timeout | undefined;
  private listeners: Array<() => void> = [];

  constructor(private readonly options: WalOutboxReaderOptions) {
    this.slotName = options.slotName ?? walOutboxSlotName(options.schema);
    this.publicationName = options.publicationName ?? WAL_OUTBOX_PUBLICATION;
    this.transactions = new WalOutboxTransactions(walOutboxPrefix(options.schema));
    this.maxChanges = options.maxChanges ?? 500;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.fenceMs = options.idleInTransactionTimeoutMs ?? IDLE_IN_TRANSACTION_TIMEOUT_MS;
    this.applicationName = options.applicationName ?? `${options.schema}-wal-outbox-reader`;
    for (const name of [this.slotName, this.publicationName]) {
      // Slot names allow only these; both names are written into SQL and replication commands below.
      if (!/^[a-z0-9_]{1,63}$/.test(name)) throw new Error(`invalid slot or publication name ${JSON.stringify(name)}: use 1-63 of [a-z0-9_]`);
    }
  }

  /**
   * Calls `listener` whenever there may be something new to read: a transaction with this schema's
   * messages arrived, or the connection ended (the next read() starts another). It replaces
   * LISTEN/NOTIFY for the WAL outbox.
   */
  onReadable(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Bytes of received, unconfirmed messages now, and the most there have been at once. */
  buffered(): { bytes: number; highWaterBytes: number; paused: boolean } {
    return { bytes: this.bufferedBytes, highWaterBytes: this.highWaterBytes, paused: this.stream?.paused ?? false };
  }

  /**
   * Creates the publication and the slot if missing. Call it before the service writes events:
   * a slot sees only transactions that commit after it exists. Creating a slot waits for the
   * transactions running at that moment to end.
   */
  async ensureSlot(): Promise<void> {
    const client = await this.sqlConnection();
    const [settings] = (await client.query<{ wal_level: string; max_replication_slots: string; max_wal_senders: string; replication: boolean }>(
      `SELECT current_setting('wal_level') AS wal_level, current_setting('max_replication_slots') AS max_replication_slots,
              current_setting('max_wal_senders') AS max_wal_senders,
              (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user) AS replication`,
    )).rows;
    if (settings.wal_level !== 'logical' || settings.max_replication_slots === '0' || settings.max_wal_senders === '0') {
      throw new WalOutboxUnavailableError(
        `the WAL outbox needs logical decoding, but this PostgreSQL server has wal_level=${settings.wal_level}, ` +
          `max_replication_slots=${settings.max_replication_slots} and max_wal_senders=${settings.max_wal_senders}: set wal_level = logical, ` +
          `max_replication_slots to at least one per producing schema and max_wal_senders to at least one per relay instance ` +
          `(all need a restart), or use the table outbox`,
      );
    }
    // The relay streams the slot over a replication connection, which needs the REPLICATION
    // attribute even where the slot exists already.
    if (!settings.replication) {
      throw new WalOutboxUnavailableError(`this PostgreSQL role may not create a replication slot (the REPLICATION attribute), nor stream one over a replication connection; grant it, or use the table outbox`);
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
      return;
    }
    if (found.rows[0].database !== found.rows[0].current || found.rows[0].plugin !== 'pgoutput') {
      const { database, plugin, current } = found.rows[0];
      throw new Error(
        `replication slot ${this.slotName} belongs to database ${database ?? '(none: a physical slot)'} with plugin ${plugin ?? '(none)'}, ` +
          `not to ${current} with pgoutput: give this reader another slotName`,
      );
    }
  }

  /**
   * The next batch of received transactions (possibly without messages), or undefined when another
   * reader holds the slot (stand by). Starts the replication connection when there is none. With
   * `catchUp`, first waits until everything committed before the call has been received (one query
   * for the flushed WAL position, then the walsender's keepalives): for callers that just committed
   * and want their events, not for the relay's loop, which onReadable() wakes. The batch stays open
   * until confirm() or release().
   */
  async read(options: { catchUp?: boolean } = {}): Promise<WalOutboxBatch | undefined> {
    if (this.batch) throw new Error('read() while a batch is open: confirm() or release() it first');
    const stream = await this.startedStream();
    if (!stream) return undefined;
    if (options.catchUp) await this.catchUp(stream);
    if (stream.ended) throw stream.endError ?? new Error(`the replication connection of ${this.slotName} ended`);
    const transactions: ReceivedTransaction[] = [];
    let rows = 0;
    while (this.received.length > 0 && rows < this.maxChanges) {
      const next = this.received.shift()!;
      transactions.push(next);
      rows += next.messages.length + 2;
    }
    const messages = transactions.flatMap((transaction) => transaction.messages);
    const bytes = transactions.reduce((sum, transaction) => sum + transaction.bytes, 0);
    const lastEnd = transactions.length > 0 ? transactions[transactions.length - 1].endLsn : 0n;
    // When the batch takes everything received, the positions received past its last commit held
    // nothing of this schema: the confirm may move past them too.
    const everything = this.received.length === 0 && !this.transactions.inTransaction;
    const confirmLsn = maxLsn(this.confirmedLsn, lastEnd, everything ? this.receivedLsn : 0n);
    const batch: WalOutboxBatch = { messages, confirmLsn, full: this.received.length > 0 };
    this.batch = { batch, transactions, bytes, openedAt: Date.now(), stream };
    return batch;
  }

  /**
   * Moves the slot past `batch` (call it once Kafka acknowledged it) and ends the batch. Resolves
   * once the walsender answered the status update (it reads them in order, so it has taken the new
   * position), and fails if the connection ended before: the batch is then read again.
   */
  async confirm(batch: WalOutboxBatch): Promise<void> {
    const open = this.batch;
    if (!open) throw new Error('confirm() without an open batch');
    if (open.batch !== batch) throw new Error('confirm() of a batch other than the open one');
    this.batch = undefined;
    this.bufferedBytes -= open.bytes;
    const { stream } = open;
    if (stream.ended || stream !== this.stream) throw stream.endError ?? new Error(`the replication connection of ${this.slotName} ended before the confirm`);
    if (batch.confirmLsn <= this.confirmedLsn) {
      this.resumeIfBelowBound(stream);
      return;
    }
    this.confirmedLsn = batch.confirmLsn;
    this.resumeIfBelowBound(stream);
    // A paused connection is not read, so no answer could arrive: the update is sent alone. A batch
    // without messages needs no answer either (nothing would be published twice).
    if (stream.paused || batch.messages.length === 0) {
      this.sendStatus(stream, false);
      return;
    }
    await this.serverAnswer(stream, () => this.sendStatus(stream, true), this.fenceMs);
  }

  /**
   * Keeps events of the open batch that Kafka refused for good in the schema's relay_quarantine, on
   * the reader's ordinary connection, committed before the caller confirms the batch. Safe in that
   * order: if the confirm never happens (a crash, a lost connection), the batch is read again, Kafka
   * refuses the same events again, and their rows exist already: the table's key is the producer and
   * sequence, the same on every read, and the insert does nothing on conflict. The reverse order
   * could move the slot past an event whose row was never written.
   */
  async quarantine(events: readonly RefusedEvent[]): Promise<void> {
    if (!this.batch) throw new Error('quarantine() without an open batch');
    if (events.length === 0) return;
    const client = await this.sqlConnection();
    await client.query('BEGIN');
    try {
      await quarantineEvents(client, this.options.schema, events);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Ends the batch without moving the slot (Kafka refused it): the next read() returns it again. */
  async release(): Promise<void> {
    const open = this.batch;
    this.batch = undefined;
    if (!open) return;
    if (open.stream === this.stream && !open.stream.ended) {
      this.received.unshift(...open.transactions);
    } else {
      this.bufferedBytes -= open.bytes;
    }
  }

  /** WAL the slot keeps that it has not confirmed, in bytes; null when the slot is missing. */
  async backlogBytes(): Promise<number | null> {
    const client = await this.sqlConnection();
    const { rows } = await client.query<{ bytes: string }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS bytes FROM pg_replication_slots WHERE slot_name = $1`,
      [this.slotName],
    );
    return rows.length === 0 ? null : Number(rows[0].bytes);
  }

  /** Drops the slot (its unread messages are lost): for a schema that no longer publishes, and tests. */
  async dropSlot(): Promise<void> {
    await this.closeStream();
    const client = await this.sqlConnection();
    // A walsender whose connection just ended releases the slot a moment later.
    for (const deadline = Date.now() + this.fenceMs; ; ) {
      try {
        await client.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [this.slotName]);
        return;
      } catch (error) {
        if (pgCode(error) !== '55006' || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  async close(): Promise<void> {
    await this.closeStream();
    const sql = this.sql;
    this.sql = undefined;
    await sql?.end().catch(() => undefined);
  }

  /**
   * Ends the replication connection (the next read() starts another, from the confirmed position),
   * and waits until its walsender has let go of the slot, so that a standby can take it at once.
   */
  private async closeStream(): Promise<void> {
    const stream = this.stream;
    if (!stream) return;
    this.ended(stream, new Error(`the replication connection of ${this.slotName} was closed`));
    const pid = (stream.client as unknown as { processID: number | null }).processID;
    await stream.client.end().catch(() => undefined);
    const sql = await this.sqlConnection().catch(() => undefined);
    for (const deadline = Date.now() + this.fenceMs; sql && pid && Date.now() < deadline; ) {
      const { rows } = await sql.query<{ held: boolean }>(`SELECT active_pid IS NOT DISTINCT FROM $2 AS held FROM pg_replication_slots WHERE slot_name = $1`, [this.slotName, pid]).catch(() => ({ rows: [] }));
      if (!rows[0]?.held) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private startedStream(): Promise<ReplicationStream | undefined> {
    if (this.stream && !this.stream.ended) return Promise.resolve(this.stream);
    this.starting ??= this.startStream().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async startStream(): Promise<ReplicationStream | undefined> {
    // `replication` is a connection parameter pg passes on, missing from its type declarations.
    const config: ClientConfig & { replication: 'database' } = {
      connectionString: this.options.databaseUrl,
      replication: 'database',
      application_name: this.applicationName,
      // The fence for a frozen reader (see the class comment); the status updates go out more often.
      options: `-c wal_sender_timeout=${this.fenceMs}`,
    };
    const client = new Client(config);
    const stream: ReplicationStream = { client, ended: false, onEnd: [], onKeepalive: [], paused: false };
    client.on('error', (error) => this.ended(stream, error));
    client.on('end', () => this.ended(stream, new Error(`the replication connection of ${this.slotName} ended`)));
    // The position the server starts from (what it will not send again), read before the start:
    // the stream's first messages may arrive before any later query's answer. Only a reader
    // holding the slot moves it, and then this one stands by.
    const [position] = (await (await this.sqlConnection()).query<{ confirmed: string }>(
      `SELECT confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1`,
      [this.slotName],
    )).rows;
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw this.explain(error);
    }
    if (position) this.confirmedLsn = parseLsn(position.confirmed);
    this.receivedLsn = this.confirmedLsn;
    this.received.length = 0;
    this.transactions.reset();
    this.bufferedBytes = 0;
    this.stream = stream;
    // Up to a CopyBothResponse ('W', pg-protocol's replicationStart) the command can still fail.
    const started = new Promise<void>((resolve) => wire(client).once('replicationStart', () => resolve()));
    // From the slot's confirmed position (0/0: the server starts there, never before it).
    const command =
      `START_REPLICATION SLOT ${this.slotName} LOGICAL 0/0 ` +
      `(proto_version '1', publication_names '${this.publicationName}', messages 'true')`;
    const streaming = client.query(command);
    wire(client).on('copyData', (message: { chunk: Buffer }) => this.onCopyData(stream, message.chunk));
    try {
      await Promise.race([started, streaming]);
    } catch (error) {
      if (this.stream === stream) this.stream = undefined;
      stream.ended = true;
      await client.end().catch(() => undefined);
      if (pgCode(error) === '55006') return undefined;
      throw this.explain(error);
    }
    streaming.then(
      () => this.ended(stream, new Error(`the walsender of ${this.slotName} ended the stream`)),
      (error: unknown) => this.ended(stream, this.explainError(error)),
    );
    if (stream.ended) throw stream.endError;
    this.statusTimer ??= setInterval(() => this.onStatusTimer(), Math.max(10, Math.floor(this.fenceMs / 4)));
    this.statusTimer.unref();
    return stream;
  }

  private onCopyData(stream: ReplicationStream, chunk: Buffer): void {
    if (stream.ended || stream !== this.stream) return;
    try {
      const message = parseReplicationMessage(chunk);
      if (message.type === 'keepalive') {
        // Between transactions, the walsender has sent everything up to walEnd.
        if (!this.transactions.inTransaction && message.walEnd > this.receivedLsn) this.receivedLsn = message.walEnd;
        this.sendStatus(stream, false);
        for (const waiter of stream.onKeepalive.splice(0)) waiter();
        return;
      }
      this.onPgoutput(stream, message.data);
    } catch (error) {
      // Nothing received can be trusted after a message we cannot read: start again from the slot.
      this.ended(stream, error instanceof Error ? error : new Error(String(error)));
      void stream.client.end().catch(() => undefined);
    }
  }

  private onPgoutput(stream: ReplicationStream, data: Buffer): void {
    const { keptBytes, committed } = this.transactions.add(decodePgoutput(data));
    this.bufferedBytes += keptBytes;
    if (this.bufferedBytes > this.highWaterBytes) this.highWaterBytes = this.bufferedBytes;
    if (!committed) return;
    if (committed.endLsn > this.receivedLsn) this.receivedLsn = committed.endLsn;
    if (committed.messages.length === 0) return;
    this.received.push(committed);
    this.pauseIfAboveBound(stream);
    for (const listener of this.listeners) listener();
  }

  /** Stops reading the socket past the bound; only whole transactions count (see maxBufferedBytes). */
  private pauseIfAboveBound(stream: ReplicationStream): void {
    if (stream.paused || this.bufferedBytes - this.transactions.openBytes < this.maxBufferedBytes) return;
    stream.paused = true;
    wire(stream.client).stream.pause();
  }

  private resumeIfBelowBound(stream: ReplicationStream): void {
    if (!stream.paused || this.bufferedBytes >= this.maxBufferedBytes) return;
    stream.paused = false;
    wire(stream.client).stream.resume();
  }

  private onStatusTimer(): void {
    const stream = this.stream;
    if (!stream || stream.ended) return;
    if (this.batch && Date.now() - this.batch.openedAt > this.fenceMs) {
      // Fenced, as a session idle in its transaction was: another reader may take the slot.
      this.ended(stream, new Error(`a batch of ${this.slotName} stayed open longer than ${this.fenceMs} ms: its connection was ended`));
      void stream.client.end().catch(() => undefined);
      return;
    }
    // Nothing of this schema pending: the slot may move past what was received (other schemas'
    // transactions), so that it does not keep their WAL.
    if (!this.batch && this.received.length === 0 && !this.transactions.inTransaction && this.receivedLsn > this.confirmedLsn) this.confirmedLsn = this.receivedLsn;
    this.sendStatus(stream, false);
  }

  private sendStatus(stream: ReplicationStream, replyRequested: boolean): void {
    if (stream.ended) return;
    const written = maxLsn(this.receivedLsn, this.confirmedLsn);
    wire(stream.client).sendCopyFromChunk(standbyStatusUpdate({ written, flushed: this.confirmedLsn, applied: this.confirmedLsn, replyRequested }));
  }

  /** Waits for the next keepalive after `send`; fails when the connection ends or after `timeoutMs`. */
  private serverAnswer(stream: ReplicationStream, send: () => void, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (stream.ended) {
        reject(stream.endError ?? new Error(`the replication connection of ${this.slotName} ended`));
        return;
      }
      const timer = setTimeout(() => reject(new Error(`the walsender of ${this.slotName} did not answer within ${timeoutMs} ms`)), timeoutMs);
      stream.onKeepalive.push(() => {
        clearTimeout(timer);
        resolve();
      });
      stream.onEnd.push((error) => {
        clearTimeout(timer);
        reject(error);
      });
      send();
    });
  }

  /** Waits until everything that committed before the call has been received (or the bound stopped the reading). */
  private async catchUp(stream: ReplicationStream): Promise<void> {
    const [{ flushed }] = (await (await this.sqlConnection()).query<{ flushed: string }>(`SELECT pg_current_wal_flush_lsn()::text AS flushed`)).rows;
    const target = parseLsn(flushed);
    const deadline = Date.now() + this.fenceMs;
    while (this.receivedLsn < target && !stream.paused) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the walsender of ${this.slotName} did not reach ${flushed} within ${this.fenceMs} ms`);
      // Each answer carries how far the walsender has decoded; ask again until it reaches the target.
      await this.serverAnswer(stream, () => this.sendStatus(stream, true), left);
    }
  }

  private ended(stream: ReplicationStream, error: Error): void {
    if (stream.ended) return;
    stream.ended = true;
    stream.endError = error;
    for (const callback of stream.onEnd.splice(0)) callback(error);
    stream.onKeepalive.length = 0;
    if (this.stream !== stream) return;
    // What was received and not confirmed comes again on the next connection.
    this.stream = undefined;
    this.received.length = 0;
    this.transactions.reset();
    this.bufferedBytes = this.batch?.bytes ?? 0;
    for (const listener of this.listeners) listener();
  }

  private async sqlConnection(): Promise<Client> {
    if (this.sql) return this.sql;
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: `${this.applicationName}-sql`,
      options: `-c idle_in_transaction_session_timeout=${this.fenceMs}`,
    });
    // A server restart ends it: the next call opens another.
    const forget = () => {
      if (this.sql === client) this.sql = undefined;
    };
    client.on('error', forget);
    client.on('end', forget);
    await client.connect().catch(async (error: unknown) => {
      await client.end().catch(() => undefined);
      throw error;
    });
    this.sql = client;
    return client;
  }

  private explainError(error: unknown): Error {
    const explained = this.explain(error);
    return explained instanceof Error ? explained : new Error(String(explained));
  }

  private explain(error: unknown): unknown {
    const code = pgCode(error);
    const message = error instanceof Error ? error.message : String(error);
    if (code === '55006') return new WalOutboxSlotInUseError(`the WAL outbox slot ${this.slotName} is being read by another session: ${message}`);
    if (code === '42704' && message.includes('replication slot')) {
      return new Error(`the WAL outbox slot ${this.slotName} does not exist (WalOutboxReader.ensureSlot creates it): ${message}`);
    }
    if (code === '42501') {
      return new WalOutboxUnavailableError(`this PostgreSQL role may not stream the WAL outbox slot ${this.slotName} (the REPLICATION attribute): ${message}; grant it, or use the table outbox`);
    }
    if (code === '53300' && /wal_senders|walsender/i.test(message)) {
      return new Error(`no walsender is free for the WAL outbox slot ${this.slotName} (raise max_wal_senders: one per producing schema per relay instance): ${message}`);
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

/** The parts of pg's wire connection (pg/lib/connection.js) the stream uses: CopyData both ways, and the socket. */
interface WireConnection {
  on(event: 'copyData', listener: (message: { chunk: Buffer }) => void): void;
  once(event: 'replicationStart', listener: () => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
  stream: { pause(): void; resume(): void };
}

function wire(client: Client): WireConnection {
  return (client as unknown as { connection: WireConnection }).connection;
}

function maxLsn(...lsns: Lsn[]): Lsn {
  return lsns.reduce((max, lsn) => (lsn > max ? lsn : max), 0n);
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

/**
 * The outbox messages with `prefix` among rows of pgoutput output (whole transactions), in commit
 * order; the rest (other schemas' messages, Begin and Commit rows) is read past.
 */
export function decodeWalOutboxRows(rows: ReadonlyArray<{ lsn: string; data: Buffer }>, prefix: string): WalOutboxMessage[] {
  const transactions = new WalOutboxTransactions(prefix);
  const messages: WalOutboxMessage[] = [];
  for (const row of rows) {
    const { committed } = transactions.add(decodePgoutput(row.data));
    if (committed) messages.push(...committed.messages);
  }
  transactions.assertComplete();
  return messages;
}

/**
 * The messages of a schema's outbox slot not confirmed yet, from transactions that committed
 * before `upto`, without moving the slot: for the audit and the bench, which need what was written
 * and not yet acknowledged by Kafka. The relay's walsender holds the slot for as long as it runs, so
 * this peeks a temporary copy of it (pg_copy_logical_replication_slot: the same confirmed and restart
 * positions), dropped at once, all in one round trip so that a pool runs it on one session; a failed
 * peek drops the copy too (PostgreSQL drops a session's temporary slots on error). Costs a free
 * replication slot for the moment, and one decoding pass from the slot's restart position.
 */
export async function peekWalOutbox(client: Pick<Client, 'query'>, schema: string, upto: string): Promise<WalOutboxMessage[]> {
  const slot = walOutboxSlotName(schema);
  if (!/^[a-z0-9_]{1,63}$/.test(slot)) throw new Error(`invalid slot name ${JSON.stringify(slot)}`);
  const copy = `relay_peek_${randomBytes(8).toString('hex')}`;
  const results = (await client.query(
    `SELECT pg_copy_logical_replication_slot('${slot}', '${copy}', true);
     SELECT lsn::text AS lsn, data FROM pg_logical_slot_peek_binary_changes('${copy}', '${formatLsn(parseLsn(upto))}'::pg_lsn, NULL,
       'proto_version', '1', 'publication_names', '${WAL_OUTBOX_PUBLICATION}', 'messages', 'true');
     SELECT pg_drop_replication_slot('${copy}')`,
  )) as unknown as QueryResult[];
  return decodeWalOutboxRows(results[1].rows as Array<{ lsn: string; data: Buffer }>, walOutboxPrefix(schema));
}
