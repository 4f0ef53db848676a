import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { KafkaDriver } from '../kafka/driver/kafka-driver';
import { writeOutboxToWal } from './append-events';
import { OutboxRelay, OutboxRelayOptions } from './outbox-relay';
import { walOutboxSlotName, WalOutboxUnavailableError } from './wal-outbox.reader';
import { WalOutboxRelay } from './wal-outbox.relay';

/** Where a service's events wait for the relay (OUTBOX_STORE). */
export type OutboxStoreSetting = 'auto' | 'wal' | 'table';

export interface OutboxPublisherOptions extends OutboxRelayOptions {
  store: OutboxStoreSetting;
}

/** What the service's outbox holds that Kafka has not acknowledged yet. */
export interface OutboxBacklog {
  store: 'wal' | 'table';
  /** Rows of the outbox table not published (with the WAL store: written before it, not drained yet). */
  rows: number;
  oldestAgeSeconds: number;
  /** WAL the slot keeps and has not confirmed, in bytes (WAL store only). */
  walBytes: number | null;
}

/**
 * The service's outbox, chosen once at start-up, before the service writes any event:
 * - the WAL (`wal`, or `auto` where the server can decode it): events are logical decoding messages
 *   written in the business transaction; no table, no UPDATE, no vacuum. The schema's replication
 *   slot is created here, before writes go to the WAL (writeOutboxToWal), and events left in the
 *   outbox table by an earlier version are published first, so each order's events keep their order;
 * - the table (`table`, or `auto` on a server without logical decoding, e.g. wal_level=replica): rows
 *   published in commit order, each with its producer sequence (OutboxRelay).
 * Consumers deduplicate both the same way (producer id and sequence headers).
 */
export class OutboxPublisher {
  private static readonly logger = new Logger(OutboxPublisher.name);

  private constructor(
    readonly store: 'wal' | 'table',
    private readonly table: OutboxRelay,
    private readonly wal: WalOutboxRelay | undefined,
  ) {}

  static async create(dataSource: DataSource, driver: KafkaDriver, options: OutboxPublisherOptions): Promise<OutboxPublisher> {
    const { store, ...relayOptions } = options;
    const table = new OutboxRelay(dataSource, driver, relayOptions);
    if (store === 'table') return new OutboxPublisher('table', table, undefined);
    const [{ id }] = await dataSource.query(`SELECT system_identifier::text AS id FROM pg_control_system()`);
    const wal = new WalOutboxRelay(driver, {
      databaseUrl: options.databaseUrl,
      schema: options.schema,
      topics: options.topics,
      batchSize: options.batchSize,
      pollIntervalMs: options.pollIntervalMs,
      idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs,
      // WAL positions start over in a database restored into another server, whose id differs.
      producerId: `wal:${options.schema}@${id}`,
      drainFirst: table,
    });
    try {
      await wal.prepare();
    } catch (error) {
      await wal.stop();
      if (store === 'auto' && error instanceof WalOutboxUnavailableError) {
        OutboxPublisher.logger.warn(`OUTBOX_STORE=auto: using the outbox table of ${options.schema}, since ${error.message}`);
        return new OutboxPublisher('table', table, undefined);
      }
      throw error;
    }
    writeOutboxToWal(dataSource);
    OutboxPublisher.logger.log(`events of ${options.schema} go to the WAL outbox (slot ${walOutboxSlotName(options.schema)})`);
    return new OutboxPublisher('wal', table, wal);
  }

  start(): void {
    if (this.wal) this.wal.start();
    else this.table.start();
  }

  async stop(): Promise<void> {
    await this.wal?.stop();
    await this.table.stop();
  }

  async backlog(): Promise<OutboxBacklog> {
    const rows = await this.table.backlog();
    return { store: this.store, ...rows, walBytes: this.wal ? await this.wal.backlogBytes() : null };
  }
}


