import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { OUTBOX_NOTIFY_CHANNEL } from './outbox-writer';

export interface RelayLoopOptions {
  /** The schema whose commits wake the loop (the NOTIFY payload the outbox writers send). */
  schema: string;
  /** Connection string for the LISTEN connection (the pool's connections are not kept listening). */
  databaseUrl: string;
  /** Fallback poll interval; NOTIFY wakes the loop sooner on the hot path. */
  pollIntervalMs: number;
}

/**
 * Drives a relay: publishes a batch, at once again while batches come back full, otherwise when a
 * commit's NOTIFY arrives or the poll interval passes; after a failure, retries with backoff (up to
 * 5 s) while what failed stays queued where it is (PostgreSQL is the buffer). `publishOnce`
 * resolves to whether more may be waiting (its batch was full).
 */
export class RelayLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private listener: Client | undefined;
  private wakeUp: (() => void) | undefined;
  private workSignalled = false;

  constructor(
    private readonly options: RelayLoopOptions,
    private readonly publishOnce: () => Promise<boolean>,
    private readonly logger: Logger,
  ) {}

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
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const more = await this.publishOnce();
        if (failures > 0) this.logger.log(`publishing again after ${failures} failed attempt(s)`);
        failures = 0;
        if (more) continue;
      } catch (error) {
        failures++;
        if (failures === 1 || failures % 20 === 0) {
          this.logger.warn(`cannot publish the outbox (attempt ${failures}); rows stay queued: ${(error as Error).message}`);
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
