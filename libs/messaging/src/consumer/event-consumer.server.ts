import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { deadLetterTopicFor, EventCatalogue, EventEnvelope } from '@relay/contracts';
import { ApplyOutcome } from '../inbox/processed-events.claim';
import { failpoint } from '../failpoints';
import { currentWorkContext, runInWorkContext, WorkSpan } from '@relay/service-runtime';
import { ConsumedRecord, GroupConsumer, GroupConsumerOptions, KafkaDriver, PartitionBatch, RecordProducer } from '../kafka/driver/kafka-driver';
import { DEFAULT_CONSUMER_FETCH, KafkaSettings } from '../kafka/kafka-settings';
import { createKafkaDriver } from '../kafka/kafka-drivers';
import { ConsumerStats } from './consumer-stats';
import { ConsumerMetricsRecorder, FinishedOutcome } from './consumer-metrics.recorder';
import { DeadLetterParker } from './dead-letter.parker';
import { EventDeduplicator } from './event.deduplicator';
import { EventProvenance, provenanceOf } from './event-provenance';
import { EventRetrier } from './event.retrier';
import { defaultFailurePolicy, FailurePolicy } from './failure-policy';
import { eventWorkContext, HandlerInvoker, originOf, runsOf, startEventSpan } from './handler.invoker';
import { DecodedEvent, MessageDecoder } from './message.decoder';
import { CoalescedOffsetCommits } from './offset-commits';
import { HANDLER_NAME_EXTRA } from './on-event.decorator';
import { checkSubscriptions, SubscribedHandler, TopologySubscriber } from './subscription.checker';
import { readPartitionPosition } from '../position/partition-position.store';

export interface EventConsumerOptions {
  kafka: KafkaSettings;
  /** The Kafka client behind the driver port; default: the one `kafka.client` names (KAFKA_CLIENT), configured from `kafka`. */
  driver?: KafkaDriver;
  /** The Kafka consumer group. Every group gets every event; instances of one group share partitions. */
  consumerGroup: string;
  /** Where the handler's effects and the partition's position are written, in one transaction. */
  dataSource: DataSource;
  failurePolicy?: FailurePolicy;
  /**
   * Partitions processed at once by one instance; each partition is still processed in order.
   * Handlers should lock what a run needs up front, in key order (see OnEvents), or
   * chunks of different partitions can deadlock on shared rows (then they go one by one).
   */
  partitionsConsumedConcurrently: number;
  /**
   * How long a silent instance keeps its partitions. This, the partitions at once and the chunk size
   * have no default here: the services' environment declares them (CONSUMER_*, libs/service-host).
   */
  sessionTimeoutMs: number;
  /**
   * Messages of one partition applied in one database transaction (1 = a transaction each).
   * Fewer commits, much higher throughput; a failure in a chunk rolls it back and its messages
   * are then applied one by one, with the usual retries and dead letters.
   */
  chunkSize: number;
  /** Where this instance counts what it did (served by ConsumerStatusModule). */
  stats?: ConsumerStats;
  /**
   * The service and the topics the topology lets it consume: given, `listen` refuses to start
   * when a handler subscribes to an event on any other topic (subscription.checker.ts).
   */
  subscriber?: TopologySubscriber;
}

type Outcome = 'done' | 'stopped';

/** How the server's group consumer is configured, from the server's options. */
export function groupConsumerOptionsOf(options: Pick<EventConsumerOptions, 'kafka' | 'consumerGroup' | 'sessionTimeoutMs' | 'partitionsConsumedConcurrently'>): GroupConsumerOptions {
  return {
    groupId: options.consumerGroup,
    sessionTimeoutMs: options.sessionTimeoutMs,
    heartbeatIntervalMs: 1_000,
    rebalanceTimeoutMs: 30_000,
    // What one fetch may bring into memory (CONSUMER_FETCH_MAX_BYTES[_PER_PARTITION]).
    maxBytes: options.kafka.fetchMaxBytes ?? DEFAULT_CONSUMER_FETCH.maxBytes,
    maxBytesPerPartition: options.kafka.fetchMaxBytesPerPartition ?? DEFAULT_CONSUMER_FETCH.maxBytesPerPartition,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
  };
}

const HEARTBEAT_WHILE_WORKING_MS = 2_000;

/**
 * A Nest custom transport with the delivery guarantees Relay promises. Handlers are plain Nest
 * `@EventPattern(Contract.pattern)` methods; this server decides when an offset may be committed:
 *
 * - messages are pulled (fetches bounded by CONSUMER_FETCH_MAX_BYTES[_PER_PARTITION]), never pushed;
 * - each event's effect runs in a database transaction that also stores the partition's position
 *   (EventDeduplicator), so a redelivery or a second published copy has no second effect;
 * - offsets are committed only after that transaction commits, never automatically;
 * - a handler that throws is retried in place with backoff (the partition waits, keeping order),
 *   then the message is parked on `<topic>.dlq.<group>` and the partition moves on;
 * - a message that cannot be decoded (not JSON, bad envelope, unknown event, bad data) is poison:
 *   parked at once, without retries;
 * - a known event no handler of this group subscribes to is skipped on purpose: a topic carries
 *   events for many groups.
 * - given its `subscriber` (the service and the topics its topology entry consumes), it refuses to
 *   start while a handler subscribes to an event on another topic.
 *
 * This class is the Nest wiring and the batch loop (connect, join, subscribe, heartbeats, offset
 * commits); it talks to Kafka through the driver port only (kafka/driver/kafka-driver.ts). What
 * happens to a message is done by stages with one job each, composed in applyChunk and
 * consumeMessage: decode (MessageDecoder), dedup (EventDeduplicator), handle (HandlerInvoker),
 * retry (EventRetrier), dead-letter (DeadLetterParker), measure (ConsumerMetricsRecorder).
 */
export class EventConsumerServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger(EventConsumerServer.name);
  private readonly stats: ConsumerStats;
  private readonly driver: KafkaDriver;
  private consumer: GroupConsumer | null = null;
  private producer: RecordProducer | null = null;
  private closing = false;
  private connecting: Promise<void> | undefined;
  private offsetCommits = new CoalescedOffsetCommits();
  // The stages a message goes through (composed in applyChunk and consumeMessage).
  private readonly decoder: MessageDecoder<MessageHandler>;
  private readonly deduplicator = new EventDeduplicator();
  private readonly invoker: HandlerInvoker;
  private readonly retrier: EventRetrier;
  private readonly deadLetters: DeadLetterParker;
  private readonly recorder: ConsumerMetricsRecorder;

  constructor(private readonly consumerOptions: EventConsumerOptions) {
    super();
    this.driver = consumerOptions.driver ?? createKafkaDriver(consumerOptions.kafka);
    this.stats = consumerOptions.stats ?? new ConsumerStats();
    const group = consumerOptions.consumerGroup;
    this.decoder = new MessageDecoder((pattern) => this.getHandlerByPattern(pattern));
    this.invoker = new HandlerInvoker((result) => this.transformToObservable(result) as Observable<unknown>);
    this.retrier = new EventRetrier(consumerOptions.failurePolicy ?? defaultFailurePolicy, this.logger);
    this.deadLetters = new DeadLetterParker(group, () => this.producer, this.logger);
    this.recorder = new ConsumerMetricsRecorder(group, this.stats);
  }

  /**
   * Lets the app start at once and connects in the background, retrying until Kafka answers: a
   * service whose broker is down still serves HTTP (and orders still takes orders), and catches
   * up when Kafka is back. `ConsumerStats.joined` tells when the consumer really is in its group.
   */
  listen(callback: (error?: unknown) => void): void {
    try {
      if (this.consumerOptions.subscriber) checkSubscriptions(this.subscribedHandlers(), this.consumerOptions.subscriber);
    } catch (error) {
      // Nest rejects startAllMicroservices with it: the service stops before it serves anything.
      callback(error);
      return;
    }
    callback();
    this.connecting = this.connectUntilJoined();
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.connecting;
    await this.disconnect();
  }

  /** Nest's transport status events: this transport reports through ConsumerStats instead. */
  on(): never {
    throw new Error('EventConsumerServer emits no transport events; read ConsumerStats');
  }

  unwrap<T>(): T {
    return this.driver as T;
  }

  private async connectUntilJoined(): Promise<void> {
    for (let attempt = 1; !this.closing; attempt++) {
      try {
        await this.start();
        return;
      } catch (error) {
        if (attempt === 1 || attempt % 10 === 0) {
          this.logger.warn(`cannot start the consumer of group "${this.consumerOptions.consumerGroup}" with ${this.driver.client} (attempt ${attempt}), retrying: ${(error as Error).message}`);
        }
        await this.disconnect();
        await new Promise((resolve) => setTimeout(resolve, Math.min(15_000, 500 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  private async disconnect(): Promise<void> {
    const { consumer, producer } = this;
    this.consumer = null;
    this.producer = null;
    await consumer?.stop().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }

  /** Creates the topics (and their dead-letter topics), connects the dead-letter producer, then joins and runs. */
  private async start(): Promise<void> {
    const topics = [...new Set([...this.messageHandlers.keys()].map((pattern) => this.topicOf(pattern)))];
    const { kafka, consumerGroup } = this.consumerOptions;
    await this.driver.ensureTopics(
      topics
        .flatMap((topic) => [topic, deadLetterTopicFor(topic, consumerGroup)])
        .map((topic) => ({ topic, numPartitions: kafka.topicPartitions, replicationFactor: kafka.replicationFactor })),
    );
    this.producer = await this.driver.connectProducer();
    const consumer = this.driver.groupConsumer(groupConsumerOptionsOf(this.consumerOptions));
    this.consumer = consumer;
    this.offsetCommits = new CoalescedOffsetCommits();
    await consumer.start(topics, {
      batch: (batch) => this.consumeBatch(batch),
      assigned: (assignment) => {
        this.stats.joined = true;
        this.stats.joinedOnce = true;
        this.stats.assignment = Object.fromEntries(Object.entries(assignment).map(([topic, partitions]) => [topic, [...partitions].sort((a, b) => a - b)]));
        this.logger.log(`joined group "${consumerGroup}" with partitions ${JSON.stringify(this.stats.assignment)}`);
        // A new assignment: check each partition's first batch against its stored position again.
        this.positionsChecked.clear();
      },
      left: () => {
        this.stats.joined = false;
        this.stats.assignment = {};
      },
      // After a crash the client does not recover from, start over (a new consumer and producer)
      // rather than stay connected to HTTP and never consume again.
      failed: (error) => {
        if (this.closing || this.consumer !== consumer) return;
        this.logger.error(`consumer of group "${consumerGroup}" crashed: ${error.message}; reconnecting`);
        this.connecting = (async () => {
          await this.disconnect();
          await this.connectUntilJoined();
        })();
      },
    });
    this.logger.log(`consumer group "${consumerGroup}" subscribed to ${topics.join(', ')} (${this.driver.client})`);
  }

  /** Every registered handler (Nest chains several handlers of one pattern through `next`). */
  private subscribedHandlers(): SubscribedHandler[] {
    return [...this.messageHandlers].flatMap(([pattern, head]) => {
      const handlers: SubscribedHandler[] = [];
      for (let handler: MessageHandler | undefined = head; handler; handler = handler.next) {
        handlers.push({ pattern, handler: (handler.extras?.[HANDLER_NAME_EXTRA] as string | undefined) ?? `a handler of ${pattern}` });
      }
      return handlers;
    });
  }

  private topicOf(pattern: string): string {
    const contract = EventCatalogue.get(pattern);
    if (!contract) {
      throw new Error(`@EventPattern('${pattern}') names no event in the contracts catalogue (known: ${[...EventCatalogue.keys()].join(', ')})`);
    }
    return contract.topic;
  }

  private async consumeBatch(batch: PartitionBatch): Promise<void> {
    const { topic, partition, records } = batch;
    const chunkSize = Math.max(1, this.consumerOptions.chunkSize);
    const commitNext = (next: string) =>
      // Partitions finishing meanwhile share the request (see CoalescedOffsetCommits).
      this.offsetCommits.commit({ topic, partition, offset: next }, batch.commit);
    // The committed offset is the next one to read. Everything before it is durable: applied
    // (or recorded as a duplicate, skipped, or parked on the dead-letter topic).
    const commit = (offset: string) => commitNext((BigInt(offset) + 1n).toString());
    if (await this.seekToStoredPosition(batch, commitNext)) return;
    for (let start = 0; start < records.length; start += chunkSize) {
      if (!batch.isActive()) return;
      const chunk = records.slice(start, start + chunkSize);
      if (chunk.length > 1 && (await this.whileHeartbeating(batch, () => this.applyChunk(topic, partition, chunk)))) {
        batch.markDone(chunk[chunk.length - 1].offset);
        await commit(chunk[chunk.length - 1].offset);
        await batch.heartbeat();
        continue;
      }
      let lastDone: string | undefined;
      for (const message of chunk) {
        if (!batch.isActive()) break;
        const outcome = await this.whileHeartbeating(batch, () => this.consumeMessage(topic, partition, message, batch));
        if (outcome === 'stopped') break;
        batch.markDone(message.offset);
        lastDone = message.offset;
        await batch.heartbeat();
      }
      if (lastDone !== undefined) await commit(lastDone);
      if (lastDone !== chunk[chunk.length - 1].offset) return;
    }
  }

  /** Partitions (`topic:partition`) whose first batch since the last assignment was checked. */
  private readonly positionsChecked = new Set<string>();

  /**
   * On a partition's first batch after an assignment: if the batch starts below the position
   * stored with the effects (a crash or a rebalance between the database commit and the offset
   * commit), seeks to that position and commits it, so those messages are not fetched again; true
   * if it did (the batch is then stale). Never backwards: the committed offset can be ahead of the
   * stored position (messages parked or skipped move the commit, not the position). Correctness
   * does not rest on this (the dedup stage skips a redelivered offset anyway); fetching less does.
   */
  private async seekToStoredPosition(batch: PartitionBatch, commitNext: (next: string) => Promise<void>): Promise<boolean> {
    const { topic, partition, records } = batch;
    const key = `${topic}:${partition}`;
    if (this.positionsChecked.has(key) || records.length === 0) return false;
    const { consumerGroup, dataSource } = this.consumerOptions;
    const stored = (await readPartitionPosition(dataSource.manager, { consumerGroup, topic, partition }))?.nextOffset;
    this.positionsChecked.add(key);
    if (stored === undefined || BigInt(records[0].offset) >= stored) return false;
    this.logger.log(`${topic}[${partition}]: seeking from ${records[0].offset} to the position stored with the effects, ${stored}`);
    batch.seek(stored.toString());
    await commitNext(stored.toString());
    this.stats.seeks++;
    return true;
  }

  /**
   * Keeps the group membership alive while slow work runs (a database that takes seconds per
   * query): consumption simply slows down, nothing is buffered, and the partition is not handed
   * to another instance mid-message.
   */
  private async whileHeartbeating<T>(batch: PartitionBatch, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => void batch.heartbeat().catch(() => undefined), HEARTBEAT_WHILE_WORKING_MS);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  /** Handlers by pattern, looked up once: Nest's lookup JSON.parses (and fails on) every pattern. */
  private readonly handlerCache = new Map<string, MessageHandler | null>();

  override getHandlerByPattern(pattern: string): MessageHandler | null {
    let handler = this.handlerCache.get(pattern);
    if (handler === undefined) {
      handler = super.getHandlerByPattern(pattern);
      this.handlerCache.set(pattern, handler);
    }
    return handler;
  }

  /**
   * Applies a run of messages of one partition in one transaction, in order: the dedup stage sorts
   * them out against the partition's position (one row, locked and stored once), then each run of consecutive events for one batch handler
   * (OnEvents) is one call, and any other handler gets its events one at a time. Returns false,
   * with nothing applied, if any message is poison or any handler throws: the caller then goes one
   * by one, where the failure policy decides per message.
   */
  private async applyChunk(topic: string, partition: number, messages: readonly ConsumedRecord[]): Promise<boolean> {
    const where = { consumerGroup: this.consumerOptions.consumerGroup, topic, partition };
    const items = this.decoder.decodeAll(messages, topic);
    if (!items) return false;
    const outcomes = new Map<DecodedEvent<MessageHandler>, FinishedOutcome>();
    const stopTimer = this.recorder.startTimer('chunk');
    // One span per applied event, ended when the chunk's transaction has committed (or failed).
    const spans: WorkSpan[] = [];
    try {
      await this.consumerOptions.dataSource.transaction(async (manager) => {
        const handled = items.filter((item): item is DecodedEvent<MessageHandler> & { handler: MessageHandler } => Boolean(item.handler));
        // The first copy of an event claims it; a second copy in the same chunk is a duplicate.
        const sorted = await this.deduplicator.sortOut(
          manager,
          where,
          handled.map(({ envelope, contract, message }) => ({ eventId: envelope.eventId, eventType: contract.pattern, offset: message.offset, ...provenanceOf(message) })),
        );
        handled.forEach((item, index) => outcomes.set(item, sorted[index]));
        for (const run of runsOf(handled.filter((_item, index) => sorted[index] === 'applied'))) {
          const [first] = run;
          const origins = new Map(
            run.map((item) => {
              const span = startEventSpan(where, item);
              spans.push(span);
              return [item.envelope.eventId, originOf(item.message, span)] as const;
            }),
          );
          const site = { topic, partition, offset: first.message.offset, attempt: 1, consumerGroup: where.consumerGroup };
          await runInWorkContext(eventWorkContext(where, first, origins.get(first.envelope.eventId)!.traceparent), () =>
            this.invoker.invoke(first.handler, run.map((item) => item.envelope), site, manager, origins),
          );
          // Counted per event, as on the one-by-one path: `consumer-mid-effect@n` is the n-th event.
          for (let each = 0; each < run.length; each++) failpoint('consumer-mid-effect');
        }
      });
    } catch (error) {
      this.logger.debug(`chunk of ${messages.length} at ${topic}[${partition}]@${messages[0].offset} failed, applying one by one: ${(error as Error).message}`);
      // Not failed: each event is applied again, one by one, in a span of its own.
      for (const span of spans) span.end(undefined, { 'relay.outcome': 'rolled back with its chunk' });
      return false;
    }
    for (const span of spans) span.end(undefined, { 'relay.outcome': 'applied' });
    failpoint('consumer-after-effect');
    stopTimer();
    for (const item of items) this.recorder.finished(topic, item.contract.pattern, outcomes.get(item) ?? 'skipped');
    return true;
  }

  /** One message: decode (poison is parked), skip if unhandled, else apply with retries, parking it if they run out. */
  private async consumeMessage(topic: string, partition: number, message: ConsumedRecord, batch: PartitionBatch): Promise<Outcome> {
    const decoded = this.decoder.decode(message, topic);
    const where = { consumerGroup: this.consumerOptions.consumerGroup, topic, partition };
    if (!decoded.ok) {
      await this.deadLetters.parkPoison(topic, partition, decoded);
      await this.deduplicator.recordParked(this.consumerOptions.dataSource, where, { offset: message.offset, eventId: null, ...provenanceOf(message) });
      this.recorder.poisonParked(topic);
      return 'done';
    }
    const { contract, envelope, handler } = decoded;
    const group = this.consumerOptions.consumerGroup;
    if (!handler) {
      this.logger.debug(`no handler for ${contract.pattern} in group ${group}; skipping ${envelope.eventId}`);
      this.recorder.finished(topic, contract.pattern, 'skipped');
      return 'done';
    }
    const span = startEventSpan(where, decoded);
    const context = eventWorkContext(where, decoded, span.traceparent);
    try {
      const result = await this.retrier.run(
        `${contract.pattern} ${envelope.eventId} at ${topic}[${partition}]@${message.offset}`,
        (attempt) => runInWorkContext(context, () => this.applyHandler(handler, envelope, provenanceOf(message), { topic, partition, offset: message.offset, attempt }, contract.pattern)),
        { onRetry: () => this.recorder.retried(topic, contract.pattern), wait: (delayMs) => this.waitWhileRunning(delayMs, batch) },
      );
      if (result.outcome === 'stopped') {
        span.end(undefined, { 'relay.outcome': 'stopped' });
        return 'stopped';
      }
      if (result.outcome === 'exhausted') {
        await runInWorkContext(context, () => this.deadLetters.parkFailure(topic, partition, message, result));
        await this.deduplicator.recordParked(this.consumerOptions.dataSource, where, { offset: message.offset, eventId: envelope.eventId, ...provenanceOf(message) });
        this.recorder.failureParked(topic, contract.pattern);
        span.end(new Error(`parked after ${result.attempts} attempts: ${result.reason}`), { 'relay.outcome': 'parked', 'relay.attempts': result.attempts });
      } else {
        this.recorder.finished(topic, contract.pattern, result.value);
        span.end(undefined, { 'relay.outcome': result.value });
      }
      return 'done';
    } catch (error) {
      span.end(error);
      throw error;
    }
  }

  /** One try of one event: its effect and its partition's new position in one transaction (a duplicate has no effect). */
  private async applyHandler(
    handler: MessageHandler,
    envelope: EventEnvelope,
    provenance: EventProvenance,
    where: { topic: string; partition: number; offset: string; attempt: number },
    pattern: string,
  ): Promise<ApplyOutcome> {
    const consumerGroup = this.consumerOptions.consumerGroup;
    const stopTimer = this.recorder.startTimer(pattern);
    const outcome = await this.deduplicator.applyOnce(
      this.consumerOptions.dataSource,
      { consumerGroup, topic: where.topic, partition: where.partition },
      { eventId: envelope.eventId, eventType: pattern, offset: where.offset, ...provenance },
      async (manager) => {
        const origins = new Map([[envelope.eventId, { offset: where.offset, traceparent: currentWorkContext()?.traceparent }]]);
        await this.invoker.invoke(handler, [envelope], { ...where, consumerGroup }, manager, origins);
        failpoint('consumer-mid-effect');
      },
    );
    failpoint('consumer-after-effect');
    stopTimer();
    if (outcome === 'duplicate') {
      this.logger.debug(`${pattern} ${envelope.eventId} was already applied by ${consumerGroup}; skipped`);
    } else {
      this.logger.debug(`applied ${pattern} ${envelope.eventId}`);
    }
    return outcome;
  }

  /** Sleeps in slices, heartbeating so the group keeps this member; false if the consumer is stopping. */
  private async waitWhileRunning(delayMs: number, batch: PartitionBatch): Promise<boolean> {
    const until = Date.now() + delayMs;
    while (Date.now() < until) {
      if (!batch.isActive()) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
      await batch.heartbeat();
    }
    return batch.isActive();
  }
}
