import { Logger } from '@nestjs/common';
import { Kafka, Message, Partitioners, Producer } from 'kafkajs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ensureTopics, TopicSpec } from '../kafka/topic-provisioner';
import { OUTBOX_NOTIFY_CHANNEL } from './outbox-writer';
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
  private producer: Producer | undefined;
  private producerReady = false;
  private listener: Client | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private workSignalled = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly kafka: Kafka,
    private readonly options: OutboxRelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.listen();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.signal();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
    if (this.producer) await this.producer.disconnect().catch(() => undefined);
  }

  /** Unpublished rows and the age of the oldest, for the backlog metrics. */
  async backlog(): Promise<{ rows: number; oldestAgeSeconds: number }> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS rows, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS age FROM outbox WHERE published_at IS NULL`,
    );
    return { rows: row.rows, oldestAgeSeconds: row.age };
  }

  /** Publishes one batch of pending rows; returns how many were published. */
  async publishPending(): Promise<number> {
    await this.ensureProducer();
    return this.dataSource.transaction(async (manager) => {
      // One publisher per schema at a time, whatever the number of service instances: a second
      // relay that published later rows meanwhile could put one order's events out of order. The
      // others stand by and take over as soon as the lock is free (it ends with the transaction,
      // so a crashed publisher frees it at once).
      const [{ acquired }] = await manager.query(`SELECT pg_try_advisory_xact_lock(hashtext('relay-outbox:' || current_schema())) AS acquired`);
      if (!acquired) return 0;
      // The stamp need not wait for its WAL flush: if PostgreSQL lost it in a crash, the rows would
      // be published again, which consumers absorb (at-least-once). Saves a disk flush per batch.
      await manager.query(`SET LOCAL synchronous_commit = off`);
      const rows: OutboxRow[] = await manager.query(
        `SELECT id, topic, message_key, payload::text AS payload, headers FROM outbox
         WHERE published_at IS NULL ORDER BY id LIMIT $1`,
        [this.batchSize],
      );
      if (rows.length === 0) return 0;
      const stopTimer = messagingMetrics.outboxPublishSeconds.startTimer();
      const byTopic = new Map<string, Message[]>();
      for (const row of rows) {
        const messages = byTopic.get(row.topic) ?? [];
        messages.push({ key: row.message_key, value: row.payload, headers: row.headers });
        byTopic.set(row.topic, messages);
      }
      failpoint('relay-before-publish');
      await this.producer!.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      failpoint('relay-after-publish');
      await manager.query(`UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [rows.map((row) => row.id)]);
      stopTimer();
      for (const [topic, messages] of byTopic) messagingMetrics.outboxPublished.inc({ topic }, messages.length);
      return rows.length;
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const published = await this.publishPending();
        if (failures > 0) this.logger.log(`publishing again after ${failures} failed attempt(s)`);
        failures = 0;
        if (published === this.batchSize) continue;
      } catch (error) {
        failures++;
        this.producerReady = false;
        if (failures === 1 || failures % 20 === 0) {
          this.logger.warn(`cannot publish the outbox (attempt ${failures}); rows stay queued: ${(error as Error).message}`);
        }
        await this.waitForWork(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
        continue;
      }
      await this.waitForWork(this.pollIntervalMs);
    }
  }

  private async ensureProducer(): Promise<void> {
    if (this.producerReady) return;
    if (!this.producer) {
      this.producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
    }
    await this.producer.connect();
    await ensureTopics(this.kafka, this.options.topics);
    this.producerReady = true;
  }

  private waitForWork(timeoutMs: number): Promise<void> {
    if (this.workSignalled || !this.running) {
      this.workSignalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.signal(), timeoutMs);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.workSignalled = false;
        resolve();
      };
    });
  }

  private signal(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    if (wake) wake();
    else this.workSignalled = true;
  }

  /** LISTEN for commits of new outbox rows; on any error, polling carries on and we reconnect. */
  private async listen(): Promise<void> {
    while (this.running) {
      const client = new Client({ connectionString: this.options.databaseUrl, application_name: `${this.options.schema}-outbox-listener` });
      this.listener = client;
      try {
        const closed = new Promise<void>((resolve) => {
          client.on('error', () => resolve());
          client.on('end', () => resolve());
        });
        client.on('notification', (notification) => {
          if (notification.payload === this.options.schema) this.signal();
        });
        await client.connect();
        await client.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
        this.signal();
        await closed;
      } catch {
        // The poll still runs; the next connect is attempted below.
      }
      await client.end().catch(() => undefined);
      if (this.running) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}
