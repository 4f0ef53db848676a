import { Logger } from '@nestjs/common';
import { Client, QueryResult } from 'pg';
import { DataSource } from 'typeorm';
import { IDLE_IN_TRANSACTION_TIMEOUT_MS } from '@relay/service-runtime';
import { KafkaDriver, TopicSpec } from '../kafka/driver/kafka-driver';
import { RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER } from '../event-headers';
import { producerSequence } from '../position/producer-sequence';
import { RelayLoop, RelayPass, DEFAULT_RELAY_PACING } from './relay-loop';
import { RelayProducer } from './relay-producer';
import { countByTopic, RelayEvent } from './relay-batching';
import { quarantineEvents, reportQuarantined } from './relay-quarantine';
import { failpoint } from '../failpoints';
import { messagingMetrics } from '../metrics';

export interface OutboxRelayOptions {
  /** The schema whose `outbox` table this relay drains (the service's own). */
  schema: string;
  /** Connection string for the LISTEN connection (the pool's connections are not kept listening). */
  databaseUrl: string;
  /** Topics the service publishes to; created before the first publish. */
  topics: TopicSpec[];
  /** Rows per Kafka request and per database transaction. */
  batchSize?: number;
  /** Fallback poll interval; NOTIFY wakes the relay sooner on the hot path. */
  pollIntervalMs?: number;
  /**
   * How long PostgreSQL lets the relay's batch transaction sit idle (while Kafka acknowledges the
   * batch) before it ends the session. A relay frozen mid-batch (SIGSTOP, a stuck VM, a long GC)
   * holds the publisher lock of its schema; without this bound every other instance's relay would
   * stand by until it wakes. Default: the service's pool's (IDLE_IN_TRANSACTION_TIMEOUT_MS).
   */
  idleInTransactionTimeoutMs?: number;
  /**
   * Names this producer in every event it publishes (RELAY_PRODUCER_HEADER). Its sequences are
   * transaction ids of the server, which start over in a database restored into a new server, so
   * the name must change with the server. Default: `outbox:<database>.<schema>@<system identifier>`,
   * read from the server on each new connection (the database is in it because transaction ids are
   * shared by every database of a server, while the publisher lock is per database).
   */
  producerId?: string;
}

interface OutboxRow {
  id: string;
  event_id: string;
  /** The writing transaction's id (xid8), in decimal. */
  tx_id_text: string;
  topic: string;
  message_key: string;
  /** The envelope as PostgreSQL prints the jsonb: sent as is, never parsed in Node. */
  payload: string;
  headers: Record<string, string>;
}

/** The relay's own connection, and the producer id of the server it reached. */
interface PublisherConnection {
  client: Client;
  producerId: string;
}

/**
 * Publishes outbox rows to Kafka in commit-safe order, each with its producer and sequence
 * (RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER), and stamps them as published.
 *
 * Order: by the writing transaction's id (tx_id), then by row id, and only rows whose transaction
 * id is below the oldest transaction still running. Row ids (a sequence) are taken before commit,
 * so a transaction holding a lower id can commit after one holding a higher id: publishing in id
 * order would put them out of order, or, for a consumer that skips sequences not above the highest
 * it applied, lose the late one. Once every transaction below an id has ended, no row can still
 * commit with a lower one, so what is published never has to be overtaken. The price: a committed
 * event waits until every transaction of the server that took its id before its own has ended
 * (transaction ids are server-wide). Write transactions are short here, but a long one (a
 * migration, a psql session left open after a write, an orphaned prepared transaction) holds every
 * outbox of the server back while it lasts; the backlog metrics show it. The loop looks again soon
 * while events are held back (RelayLoop's `held-back`), since such an end sends no NOTIFY.
 *
 * Sequence: producerSequence(tx_id, id). It follows the publishing order, and it is the same when
 * a row is published again, since a row is only stamped after Kafka's ack and its tx_id and id
 * never change (a batch may end inside a transaction: the rest follows with higher ids).
 *
 * Delivery is at-least-once: a crash after Kafka acknowledged a batch but before the rows were
 * stamped republishes that batch with the same sequences; consumers skip the copies. The producer
 * is idempotent with acks from all in-sync replicas, so a retried request is not duplicated by
 * Kafka itself. While Kafka is down, rows wait in the table (PostgreSQL is the buffer) and the
 * relay retries with backoff; requests that write orders are never blocked by it.
 *
 * An event Kafka refuses alone for good (larger than its topic's max.message.bytes, an invalid
 * record) is quarantined: kept in relay_quarantine and stamped in the batch's transaction, never
 * published, and the rows after it go on (relay-batching.ts, relay-quarantine.ts). Requests are
 * cut below each topic's max.message.bytes.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly idleInTransactionTimeoutMs: number;
  private readonly producer: RelayProducer;
  private publisher: PublisherConnection | undefined;
  private readonly loop: RelayLoop;

  constructor(
    private readonly dataSource: DataSource,
    driver: KafkaDriver,
    private readonly options: OutboxRelayOptions,
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_RELAY_PACING.batchSize;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_RELAY_PACING.pollIntervalMs;
    this.idleInTransactionTimeoutMs = options.idleInTransactionTimeoutMs ?? IDLE_IN_TRANSACTION_TIMEOUT_MS;
    this.producer = new RelayProducer(driver, options.topics);
    this.loop = new RelayLoop(
      { schema: options.schema, databaseUrl: options.databaseUrl, pollIntervalMs: this.pollIntervalMs },
      () => this.publishBatch(),
      this.logger,
    );
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    this.dropPublisherConnection();
    await this.producer.disconnect();
  }

  /** Unpublished rows and the age of the oldest, for the backlog metrics. */
  async backlog(): Promise<{ rows: number; oldestAgeSeconds: number }> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS rows, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS age FROM outbox WHERE published_at IS NULL`,
    );
    return { rows: row.rows, oldestAgeSeconds: row.age };
  }

  /** Publishes one batch of pending rows; returns how many it passed (published, or quarantined: see relay-quarantine.ts). */
  async publishPending(): Promise<number> {
    return (await this.claimAndPublish()).published;
  }

  private async publishBatch(): Promise<RelayPass> {
    const { published, heldBack } = await this.claimAndPublish();
    return published === this.batchSize ? 'full' : heldBack ? 'held-back' : 'drained';
  }

  /**
   * One batch, and whether committed rows were left for a later batch because a transaction that
   * began before theirs was still running.
   *
   * Two round trips to PostgreSQL per batch, on a connection of the relay's own (never waiting for
   * the service's pool): one claims the batch, one stamps it and commits. Each round trip costs a
   * turn of a busy event loop, so under load their number, not the SQL, sets the relay's latency.
   */
  private async claimAndPublish(): Promise<{ published: number; heldBack: boolean }> {
    await this.producer.connect();
    const { client, producerId } = await this.publisherConnection();
    const schema = client.escapeIdentifier(this.options.schema);
    try {
      // One publisher per schema at a time, whatever the number of service instances: a second
      // relay that published later rows meanwhile could put one order's events out of order. The
      // others read no rows and stand by; the lock ends with the transaction, so a crashed
      // publisher frees it at once. The lock is taken by its own statement, before the SELECT: a
      // statement reads the snapshot of its start, so a SELECT that took the lock itself could
      // still see the rows the previous holder stamped just before releasing it, and publish them
      // again. The stamp need not wait for its WAL flush (synchronous_commit off): if PostgreSQL
      // lost it in a crash, the rows would be published again, which consumers absorb.
      //
      // The claim takes only rows below the xmin of its own snapshot: every transaction with a
      // lower id has ended, so none can still commit a row that sorts before them (see the class
      // comment). The statement after it, in the same round trip, only tells the loop whether to
      // look again soon: its snapshot is a later one, which is all a hint needs. The transaction id
      // is read as text under another name: ORDER BY takes an output column's name before a table
      // column's, so `tx_id::text AS tx_id` would sort '100000' before '99999'.
      const claimed = await client.query(
        `BEGIN;
         SET LOCAL synchronous_commit = off;
         SELECT set_config('relay.outbox_locked', pg_try_advisory_xact_lock(hashtext(${client.escapeLiteral(`relay-outbox:${this.options.schema}`)}))::text, true);
         SELECT id, tx_id::text AS tx_id_text, event_id::text AS event_id, topic, message_key, payload::text AS payload, headers FROM ${schema}.outbox
          WHERE published_at IS NULL AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) AND current_setting('relay.outbox_locked') = 'true'
          ORDER BY tx_id, id LIMIT ${this.batchSize};
         SELECT EXISTS (SELECT FROM ${schema}.outbox
          WHERE published_at IS NULL AND tx_id >= pg_snapshot_xmin(pg_current_snapshot()) AND current_setting('relay.outbox_locked') = 'true') AS held_back`,
      );
      const results = claimed as unknown as [unknown, unknown, unknown, QueryResult<OutboxRow>, QueryResult<{ held_back: boolean }>];
      const rows = results[3].rows;
      const heldBack = results[4].rows[0].held_back;
      if (rows.length === 0) {
        await client.query('COMMIT');
        return { published: 0, heldBack };
      }
      const stopTimer = messagingMetrics.outboxPublishSeconds.startTimer();
      const events: RelayEvent[] = rows.map((row) => {
        const sequence = producerSequence(BigInt(row.tx_id_text), BigInt(row.id));
        return {
          topic: row.topic,
          producer: producerId,
          sequence,
          eventId: row.event_id,
          message: { key: row.message_key, value: row.payload, headers: { ...row.headers, [RELAY_PRODUCER_HEADER]: producerId, [RELAY_SEQUENCE_HEADER]: sequence } },
        };
      });
      failpoint('relay-before-publish');
      const { published: sent, refused } = await this.producer.publish(events);
      failpoint('relay-after-publish');
      // Refused rows are kept in the quarantine and stamped like the published ones, in the same
      // transaction: passed over only once kept.
      await quarantineEvents(client, this.options.schema, refused);
      // statement_timestamp(): when Kafka had acknowledged the batch, not when the transaction
      // began. The ids are bigints PostgreSQL just returned, so writing them into the text is safe.
      await client.query(`UPDATE ${schema}.outbox SET published_at = statement_timestamp() WHERE id = ANY('{${rows.map((row) => row.id).join(',')}}'::bigint[]); COMMIT`);
      stopTimer();
      for (const [topic, count] of countByTopic(sent)) messagingMetrics.outboxPublished.inc({ topic }, count);
      reportQuarantined(this.logger, this.options.schema, refused);
      return { published: rows.length, heldBack };
    } catch (error) {
      // Rows not stamped stay pending; a connection in an unknown state is replaced.
      await client.query('ROLLBACK').catch(() => this.dropPublisherConnection(client));
      throw error;
    }
  }

  private async publisherConnection(): Promise<PublisherConnection> {
    if (this.publisher) return this.publisher;
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: `${this.options.schema}-outbox-relay`,
      // The fence for a stalled publisher: its session ends, its lock goes, another relay takes
      // over, and the stalled one's late stamp fails (its batch goes out again; consumers drop it).
      options: `-c idle_in_transaction_session_timeout=${this.idleInTransactionTimeoutMs}`,
    });
    client.on('error', () => this.dropPublisherConnection(client));
    try {
      await client.connect();
      // Read on every new connection, not once per relay: the same address may now reach another
      // server (a restored database), whose transaction ids started over.
      const producerId = this.options.producerId ?? (await this.serverProducerId(client));
      this.publisher = { client, producerId };
      return this.publisher;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  private async serverProducerId(client: Client): Promise<string> {
    const { rows } = await client.query<{ system_identifier: string; database: string }>(
      `SELECT system_identifier::text AS system_identifier, current_database() AS database FROM pg_control_system()`,
    );
    return `outbox:${rows[0].database}.${this.options.schema}@${rows[0].system_identifier}`;
  }

  private dropPublisherConnection(client = this.publisher?.client): void {
    if (client === undefined) return;
    if (this.publisher?.client === client) this.publisher = undefined;
    void client.end().catch(() => undefined);
  }
}
