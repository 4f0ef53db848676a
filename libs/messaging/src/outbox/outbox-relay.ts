import { Logger } from '@nestjs/common';
import { Kafka, Message } from 'kafkajs';
import { Client, QueryResult } from 'pg';
import { DataSource } from 'typeorm';
import { IDLE_IN_TRANSACTION_TIMEOUT_MS } from '@relay/service-runtime';
import { TopicSpec } from '../kafka/topic-provisioner';
import { RelayLoop } from './relay-loop';
import { RelayProducer } from './relay-producer';
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
}

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  /** The envelope as PostgreSQL prints the jsonb: sent as is, never parsed in Node. */
  payload: string;
  headers: Record<string, string>;
}

/**
 * Publishes outbox rows to Kafka, in id order, and stamps them as published.
 *
 * Delivery is at-least-once: a crash after Kafka acknowledged a batch but before the rows were
 * stamped republishes that batch; consumers drop the duplicates by eventId. The producer is
 * idempotent with acks from all in-sync replicas, so a retried request is not duplicated by
 * Kafka itself. While Kafka is down, rows wait in the table (PostgreSQL is the buffer) and the
 * relay retries with backoff; requests that write orders are never blocked by it.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly idleInTransactionTimeoutMs: number;
  private readonly producer: RelayProducer;
  private publisher: Client | undefined;
  private readonly loop: RelayLoop;

  constructor(
    private readonly dataSource: DataSource,
    kafka: Kafka,
    private readonly options: OutboxRelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.idleInTransactionTimeoutMs = options.idleInTransactionTimeoutMs ?? IDLE_IN_TRANSACTION_TIMEOUT_MS;
    this.producer = new RelayProducer(kafka, options.topics);
    this.loop = new RelayLoop(
      { schema: options.schema, databaseUrl: options.databaseUrl, pollIntervalMs: this.pollIntervalMs },
      async () => (await this.publishPending()) === this.batchSize,
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

  /**
   * Publishes one batch of pending rows; returns how many were published.
   *
   * Two round trips to PostgreSQL per batch, on a connection of the relay's own (never waiting for
   * the service's pool): one claims the batch, one stamps it and commits. Each round trip costs a
   * turn of a busy event loop, so under load their number, not the SQL, sets the relay's latency.
   */
  async publishPending(): Promise<number> {
    await this.producer.connect();
    const client = await this.publisherConnection();
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
      const claimed = await client.query<OutboxRow>(
        `BEGIN;
         SET LOCAL synchronous_commit = off;
         SELECT set_config('relay.outbox_locked', pg_try_advisory_xact_lock(hashtext(${client.escapeLiteral(`relay-outbox:${this.options.schema}`)}))::text, true);
         SELECT id, topic, message_key, payload::text AS payload, headers FROM ${schema}.outbox
          WHERE published_at IS NULL AND current_setting('relay.outbox_locked') = 'true'
          ORDER BY id LIMIT ${this.batchSize}`,
      );
      const rows = (claimed as unknown as Array<QueryResult<OutboxRow>>)[3].rows;
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      const stopTimer = messagingMetrics.outboxPublishSeconds.startTimer();
      const byTopic = new Map<string, Message[]>();
      for (const row of rows) {
        const messages = byTopic.get(row.topic) ?? [];
        messages.push({ key: row.message_key, value: row.payload, headers: row.headers });
        byTopic.set(row.topic, messages);
      }
      failpoint('relay-before-publish');
      await this.producer.send([...byTopic].map(([topic, messages]) => ({ topic, messages })));
      failpoint('relay-after-publish');
      // statement_timestamp(): when Kafka had acknowledged the batch, not when the transaction
      // began. The ids are bigints PostgreSQL just returned, so writing them into the text is safe.
      await client.query(`UPDATE ${schema}.outbox SET published_at = statement_timestamp() WHERE id = ANY('{${rows.map((row) => row.id).join(',')}}'::bigint[]); COMMIT`);
      stopTimer();
      for (const [topic, messages] of byTopic) messagingMetrics.outboxPublished.inc({ topic }, messages.length);
      return rows.length;
    } catch (error) {
      // Rows not stamped stay pending; a connection in an unknown state is replaced.
      await client.query('ROLLBACK').catch(() => this.dropPublisherConnection());
      throw error;
    }
  }

  private async publisherConnection(): Promise<Client> {
    if (this.publisher) return this.publisher;
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: `${this.options.schema}-outbox-relay`,
      // The fence for a stalled publisher: its session ends, its lock goes, another relay takes
      // over, and the stalled one's late stamp fails (its batch goes out again; consumers drop it).
      options: `-c idle_in_transaction_session_timeout=${this.idleInTransactionTimeoutMs}`,
    });
    client.on('error', () => this.dropPublisherConnection(client));
    await client.connect().catch(async (error: unknown) => {
      await client.end().catch(() => undefined);
      throw error;
    });
    this.publisher = client;
    return client;
  }

  private dropPublisherConnection(client = this.publisher): void {
    if (client === undefined) return;
    if (this.publisher === client) this.publisher = undefined;
    void client.end().catch(() => undefined);
  }
}
