import { Logger } from '@nestjs/common';
import { KafkaDriver, TopicSpec } from '../kafka/driver/kafka-driver';
import { RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER, RELAY_XID_HEADER } from '../event-headers';
import { failpoint } from '../failpoints';
import { messagingMetrics } from '../metrics';
import type { OutboxRelay } from './outbox-relay';
import { countByTopic, RefusedEvent, RelayEvent } from './relay-batching';
import { RelayLoop, DEFAULT_RELAY_PACING } from './relay-loop';
import { RelayProducer } from './relay-producer';
import { reportQuarantined } from './relay-quarantine';
import { sequenceText, WalOutboxReader, WalOutboxReaderOptions } from './wal-outbox.reader';


export interface WalOutboxRelayOptions extends Pick<WalOutboxReaderOptions, 'databaseUrl' | 'schema' | 'slotName' | 'idleInTransactionTimeoutMs'> {
  /** Topics the service publishes to; created before the first publish. */
  topics: TopicSpec[];
  /**
   * Names this producer in every event it publishes (RELAY_PRODUCER_HEADER). Its sequences are
   * commit LSNs, so the name must change when the LSNs start over: a database restored into a new
   * server (e.g. its system identifier and the schema).
   */
  producerId: string;
  /** Events per Kafka request at most (the reader reads whole transactions, so a few more at times). */
  batchSize?: number;
  /**
   * How often a relay standing by (another instance holds the slot) or failing to connect tries
   * again; the replication connection wakes it at once for new events.
   */
  pollIntervalMs?: number;
  /**
   * Events written before the service moved to the WAL outbox (its outbox table), published before
   * any WAL event so that each order's events keep their order; once it is empty it is not asked again.
   */
  drainFirst?: Pick<OutboxRelay, 'publishPending' | 'backlog'>;
}

/**
 * Publishes the events a schema wrote to its WAL outbox (appendEventsToWalOutbox), in commit order,
 * each with its producer and sequence, and confirms the slot past them once Kafka has acknowledged
 * them. Nothing is updated and nothing is stored per event: the slot's position is the only
 * bookkeeping. New events arrive on the reader's replication connection, which wakes the relay:
 * no LISTEN/NOTIFY.
 *
 * Delivery is at-least-once with stable sequences: a crash (or a lost connection) after Kafka's
 * acknowledgement and before the confirm publishes the same events again with the same sequences,
 * which consumers that keep each producer's highest applied sequence skip. One relay per schema
 * publishes at a time (PostgreSQL's one walsender per slot); the others stand by and take over
 * when its connection ends. While Kafka is down the slot keeps
 * the WAL (PostgreSQL is the buffer), and the relay retries with backoff.
 *
 * An event Kafka refuses alone for good (larger than its topic's max.message.bytes, an invalid
 * record) is quarantined: kept in the schema's relay_quarantine, never published, and the events
 * after it go on (relay-batching.ts, relay-quarantine.ts). The quarantine rows commit before the
 * confirm that moves the slot past them, on the reader's ordinary connection, keyed by producer and
 * sequence, so a batch read again does not write them twice (WalOutboxReader.quarantine). Requests are cut below each topic's max.message.bytes.
 */
export class WalOutboxRelay {
  private readonly logger = new Logger(WalOutboxRelay.name);
  private readonly batchSize: number;
  private readonly reader: WalOutboxReader;
  private readonly producer: RelayProducer;
  private readonly loop: RelayLoop;
  private slotReady = false;
  /** The last read stopped at its limit (see WalOutboxBatch.full). */
  private lastReadFull = false;
  private drainFirst: WalOutboxRelayOptions['drainFirst'];

  constructor(
    driver: KafkaDriver,
    private readonly options: WalOutboxRelayOptions,
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_RELAY_PACING.batchSize;
    this.drainFirst = options.drainFirst;
    // pgoutput writes a Begin and a Commit row around each transaction's messages: 3 rows for a
    // transaction of one event, the most per event there can be.
    this.reader = new WalOutboxReader({ ...options, maxChanges: 3 * this.batchSize, applicationName: `${options.schema}-wal-outbox-relay` });
    this.producer = new RelayProducer(driver, options.topics);
    this.loop = new RelayLoop(
      { schema: options.schema, databaseUrl: options.databaseUrl, pollIntervalMs: options.pollIntervalMs ?? DEFAULT_RELAY_PACING.pollIntervalMs, listen: false },
      // A full read means more is waiting.
      async () => ((await this.publishOnce(false)) >= this.batchSize || this.lastReadFull ? 'full' : 'drained'),
      this.logger,
    );
    this.reader.onReadable(() => this.loop.wake());
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.reader.close();
    await this.producer.disconnect();
  }

  /** WAL the slot keeps and has not confirmed, in bytes (null before the slot exists). */
  backlogBytes(): Promise<number | null> {
    return this.reader.backlogBytes();
  }

  /**
   * Creates the slot (and the publication) if missing; needs PostgreSQL only, not Kafka. Call it
   * before the service writes events to the WAL: a slot sees only what commits after it exists.
   * Throws WalOutboxUnavailableError where the server cannot decode its WAL.
   */
  async prepare(): Promise<void> {
    if (this.slotReady) return;
    await this.reader.ensureSlot();
    this.slotReady = true;
  }

  /**
   * Publishes one batch of what committed before the call; returns how many events (0 when another
   * relay holds the slot). Prepares the slot on first use (see prepare()).
   */
  publishPending(): Promise<number> {
    return this.publishOnce(true);
  }

  /** With `catchUp`, waits until the reader received what committed before the call (see WalOutboxReader.read). */
  private async publishOnce(catchUp: boolean): Promise<number> {
    await this.producer.connect();
    await this.prepare();
    if (this.drainFirst) {
      const published = await this.drainFirst.publishPending();
      if (published > 0) return published;
      if ((await this.drainFirst.backlog()).rows > 0) return 0;
      this.logger.log(`the outbox table of ${this.options.schema} is drained; publishing from the WAL`);
      this.drainFirst = undefined;
    }
    const batch = await this.reader.read({ catchUp });
    this.lastReadFull = batch?.full ?? false;
    if (!batch) return 0;
    let refused: RefusedEvent[] = [];
    try {
      if (batch.messages.length > 0) {
        const stopTimer = messagingMetrics.outboxPublishSeconds.startTimer();
        const events: RelayEvent[] = batch.messages.map((message) => {
          const sequence = sequenceText(message.sequence);
          return {
            topic: message.topic,
            producer: this.options.producerId,
            sequence,
            message: {
              key: message.key,
              value: message.value,
              headers: { ...message.headers, [RELAY_PRODUCER_HEADER]: this.options.producerId, [RELAY_SEQUENCE_HEADER]: sequence, [RELAY_XID_HEADER]: String(message.xid) },
            },
          };
        });
        failpoint('relay-before-publish');
        const outcome = await this.producer.publish(events);
        failpoint('relay-after-publish');
        refused = outcome.refused;
        // Committed before the confirm: moved past only once kept (a batch read again finds its rows).
        await this.reader.quarantine(refused);
        stopTimer();
        for (const [topic, published] of countByTopic(outcome.published)) messagingMetrics.outboxPublished.inc({ topic }, published);
      }
      await this.reader.confirm(batch);
    } catch (error) {
      // Not confirmed: the next read returns the same events, with the same sequences. A reader
      // whose connection is gone starts a new one, from the slot's confirmed position.
      await this.reader.release();
      throw error;
    }
    reportQuarantined(this.logger, this.options.schema, refused);
    return batch.messages.length;
  }
}
