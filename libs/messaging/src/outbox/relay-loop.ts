import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { describeKafkaError, kafkaRefusalOf } from '../kafka/kafka-refusal';
import { OUTBOX_NOTIFY_CHANNEL } from './outbox-writer';

/**
 * How much a relay publishes per pass and how long it waits without a NOTIFY: the one default of
 * OUTBOX_BATCH_SIZE and OUTBOX_POLL_INTERVAL_MS (libs/service-host declares the variables with these).
 */
export const DEFAULT_RELAY_PACING = { batchSize: 500, pollIntervalMs: 1_000 } as const;

export interface RelayLoopOptions {
  /** The schema whose commits wake the loop (the NOTIFY payload the outbox writers send). */
  schema: string;
  /** Connection string for the LISTEN connection (the pool's connections are not kept listening). */
  databaseUrl: string;
  /** Fallback poll interval; NOTIFY (or wake()) wakes the loop sooner on the hot path. */
  pollIntervalMs: number;
  /**
   * Whether to LISTEN for the outbox writers' NOTIFY (default true: the table outbox). A relay that
   * learns of new events otherwise (the WAL outbox's replication connection pushes them) passes
   * false and calls wake().
   */
  listen?: boolean;
}

/**
 * What one pass of a relay found:
 * - `full`: its batch was full, more may be waiting;
 * - `drained`: nothing left to publish;
 * - `held-back`: committed events that may not go out yet, because a transaction that took its
 *   id before theirs is still running (the table relay's commit-safe order). That transaction's end
 *   sends no NOTIFY unless it wrote to this outbox too, so the loop looks again soon.
 */
export type RelayPass = 'full' | 'drained' | 'held-back';

/** The first wait after a held-back pass; it doubles while the hold lasts, up to the poll interval. */
const HELD_BACK_FIRST_WAIT_MS = 10;

/**
 * Drives a relay: publishes a batch, at once again while batches come back full, otherwise when a
 * commit's NOTIFY arrives or the poll interval passes, or sooner while events are held back; after
 * a failure, retries with backoff (up to 5 s) while what failed stays queued where it is
 * (PostgreSQL is the buffer). A failure that only an operator can end (Kafka denies the relay
 * access: kafka/kafka-refusal.ts) is logged as an error.
 */
export class RelayLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private listener: Client | undefined;
  private wakeUp: (() => void) | undefined;
  private workSignalled = false;

  constructor(
    private readonly options: RelayLoopOptions,
    private readonly publishOnce: () => Promise<RelayPass>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.options.listen ?? true) void this.listen();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.signal();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
  }

  /** There may be new work: run a pass now (or right after the one running). */
  wake(): void {
    this.signal();
  }

  private async run(): Promise<void> {
    let failures = 0;
    let heldBackWaitMs = HELD_BACK_FIRST_WAIT_MS;
    while (this.running) {
      try {
        const pass = await this.publishOnce();
        if (failures > 0) this.logger.log(`publishing again after ${failures} failed attempt(s)`);
        failures = 0;
        if (pass === 'held-back') {
          // A long transaction (a migration, a forgotten psql session) holds events back for as
          // long as it runs: the backoff keeps the checks for its end down to one per poll interval.
          heldBackWaitMs = Math.min(heldBackWaitMs, this.options.pollIntervalMs);
          await this.waitForWork(heldBackWaitMs);
          heldBackWaitMs *= 2;
          continue;
        }
        heldBackWaitMs = HELD_BACK_FIRST_WAIT_MS;
        if (pass === 'full') continue;
      } catch (error) {
        failures++;
        if (failures === 1 || failures % 20 === 0) {
          const refusal = kafkaRefusalOf(error);
          if (refusal?.kind === 'configuration') {
            // Every event would be refused alike: nothing is quarantined, an operator must act.
            this.logger.error(
              `Kafka refuses the outbox relay (${refusal.type}): grant the relay's principal Write (and Describe) on its topics, or fix its credentials; ` +
                `nothing is published or quarantined meanwhile, rows stay queued (attempt ${failures}): ${describeKafkaError(error)}`,
            );
          } else {
            this.logger.warn(`cannot publish the outbox (attempt ${failures}); rows stay queued: ${describeKafkaError(error)}`);
          }
        }
        await this.waitForWork(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
        continue;
      }
      await this.waitForWork(this.options.pollIntervalMs);
    }
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

  /** LISTEN for commits of new outbox events; on any error, polling carries on and we reconnect. */
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
