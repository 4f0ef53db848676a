import { MessageHandler, ServerKafka } from '@nestjs/microservices';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage, Partitioners } from 'kafkajs';
import { Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { deadLetterTopicFor, EventCatalogue, EventEnvelope } from '@relay/contracts';
import { ApplyOutcome } from '../inbox/processed-events.claim';
import { failpoint } from '../failpoints';
import { currentWorkContext, runInWorkContext, WorkSpan } from '@relay/service-runtime';
import { kafkaClientConfig, KafkaSettings } from '../kafka/kafka-settings';
import { ensureTopics } from '../kafka/topic-provisioner';
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
import { readPartitionPosition } from '../position/partition-position.store';

export interface EventConsumerOptions {
  kafka: KafkaSettings;
  /** The Kafka consumer group. Every group gets every event; instances of one group share partitions. */
  consumerGroup: string;
  /** Where the handler's effects and the partition's position are written, in one transaction. */
  dataSource: DataSource;
  failurePolicy?: FailurePolicy;
  /**
   * Partitions processed at once by one instance; each partition is still processed in order.
   * Default 1. Handlers should lock what a run needs up front, in key order (see OnEvents), or
   * chunks of different partitions can deadlock on shared rows (then they go one by one).
   */
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  /**
   * Messages of one partition applied in one database transaction (1 = a transaction each).
   * Fewer commits, much higher throughput; a failure in a chunk rolls it back and its messages
   * are then applied one by one, with the usual retries and dead letters.
   */
  chunkSize?: number;
  /** Where this instance counts what it did (served by ConsumerStatusModule). */
  stats?: ConsumerStats;
}

type Outcome = 'done' | 'stopped';

const HEARTBEAT_WHILE_WORKING_MS = 2_000;

/**
 * Nest's Kafka transport with the delivery guarantees Relay promises. Handlers are plain Nest
 * `@EventPattern(Contract.pattern)` methods; this server decides when an offset may be committed:
 *
 * - messages are pulled (kafkajs fetches, bounded by maxBytesPerPartition), never pushed;
 * - each event's effect runs in a database transaction that also stores the partition's position
 *   (EventDeduplicator), so a redelivery or a second published copy has no second effect;
 * - offsets are committed only after that transaction commits, never automatically;
 * - a handler that throws is retried in place with backoff (the partition waits, keeping order),
 *   then the message is parked on `<topic>.dlq.<group>` and the partition moves on;
 * - a message that cannot be decoded (not JSON, bad envelope, unknown event, bad data) is poison:
 *   parked at once, without retries;
 * - a known event no handler of this group subscribes to is skipped on purpose: a topic carries
 *   events for many groups.
 *
 * This class is the kafkajs and Nest wiring (connect, join, subscribe, the batch loop, heartbeats,
 * offset commits). What happens to a message is done by stages with one job each, composed in
 * applyChunk and consumeMessage: decode (MessageDecoder), dedup (EventDeduplicator), handle
 * (HandlerInvoker), retry (EventRetrier), dead-letter (DeadLetterParker), measure
 * (ConsumerMetricsRecorder).
 */
export class EventConsumerServer extends ServerKafka {
  private readonly stats: ConsumerStats;
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
    super({
      client: kafkaClientConfig(consumerOptions.kafka),
      consumer: {
        groupId: consumerOptions.consumerGroup,
        allowAutoTopicCreation: false,
        sessionTimeout: consumerOptions.sessionTimeoutMs ?? 15_000,
        heartbeatInterval: 1_000,
        rebalanceTimeout: 30_000,
        // What one fetch may bring into memory (CONSUMER_FETCH_MAX_BYTES[_PER_PARTITION]); the
        // fallbacks are DEFAULT_CONSUMER_FETCH (kafka-settings.ts; service-config.spec.ts checks).
        maxBytes: consumerOptions.kafka.fetchMaxBytes ?? 2_097_152,
        maxBytesPerPartition: consumerOptions.kafka.fetchMaxBytesPerPartition ?? 262_144,
      },
      producer: { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner },
      // Nest appends "-server" to the group id by default; the group is named by the caller.
      postfixId: '',
      subscribe: { fromBeginning: true },
    });
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
  override async listen(callback: (error?: unknown) => void): Promise<void> {
    callback();
    this.connecting = this.connectUntilJoined();
  }

  override async close(): Promise<void> {
    this.closing = true;
    await this.connecting;
    await super.close();
  }

  private async connectUntilJoined(): Promise<void> {
    for (let attempt = 1; !this.closing; attempt++) {
      try {
        this.client = await this.createClient();
        await this.start(() => undefined);
        return;
      } catch (error) {
        if (attempt === 1 || attempt % 10 === 0) {
          this.logger.warn(`cannot start the consumer of group "${this.consumerOptions.consumerGroup}" (attempt ${attempt}), retrying: ${(error as Error).message}`);
        }
        await this.consumer?.disconnect().catch(() => undefined);
        await this.producer?.disconnect().catch(() => undefined);
        this.consumer = null;
        this.producer = null;
        await new Promise((resolve) => setTimeout(resolve, Math.min(15_000, 500 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  protected override registerConsumerEventListeners(): void {
    super.registerConsumerEventListeners();
    const consumer = this.consumer;
    if (!consumer) return;
    consumer.on(consumer.events.GROUP_JOIN, (event: { payload: { memberAssignment: Record<string, number[]> } }) => {
      this.stats.joined = true;
      this.stats.joinedOnce = true;
      this.stats.assignment = Object.fromEntries(Object.entries(event.payload.memberAssignment).map(([topic, partitions]) => [topic, [...partitions].sort((a, b) => a - b)]));
      this.logger.log(`joined group "${this.consumerOptions.consumerGroup}" with partitions ${JSON.stringify(this.stats.assignment)}`);
      // A new assignment: check each partition's first batch against its stored position again.
      this.positionsChecked.clear();
    });
    // kafkajs restarts itself after retriable errors only; after any other crash, start over
    // (a new client and consumer) rather than stay connected to HTTP and never consume again.
    consumer.on(consumer.events.CRASH, (event: { payload: { error: Error; restart: boolean } }) => {
      if (event.payload.restart || this.closing) return;
      this.logger.error(`consumer of group "${this.consumerOptions.consumerGroup}" crashed: ${event.payload.error.message}; reconnecting`);
      const crashed = { consumer: this.consumer, producer: this.producer };
      this.connecting = (async () => {
        await crashed.consumer?.disconnect().catch(() => undefined);
        await crashed.producer?.disconnect().catch(() => undefined);
        await this.connectUntilJoined();
      })();
    });
    for (const event of [consumer.events.STOP, consumer.events.CRASH, consumer.events.DISCONNECT]) {
      consumer.on(event, () => {
        this.stats.joined = false;
        this.stats.assignment = {};
      });
    }
  }

  override async bindEvents(consumer: Consumer): Promise<void> {
    const topics = [...new Set([...this.messageHandlers.keys()].map((pattern) => this.topicOf(pattern)))];
    const { kafka, consumerGroup } = this.consumerOptions;
    if (this.client) {
      // Nest declares its own copy of the kafkajs types; the client is a kafkajs Kafka.
      await ensureTopics(
        this.client as unknown as Kafka,
        topics
          .flatMap((topic) => [topic, deadLetterTopicFor(topic, consumerGroup)])
          .map((topic) => ({ topic, numPartitions: kafka.topicPartitions, replicationFactor: kafka.replicationFactor })),
      );
    }
    await consumer.subscribe({ topics, fromBeginning: true });
    this.offsetCommits = new CoalescedOffsetCommits();
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.consumerOptions.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.consumeBatch(payload),
    });
    this.logger.log(`consumer group "${consumerGroup}" subscribed to ${topics.join(', ')}`);
  }

  private topicOf(pattern: string): string {
    const contract = EventCatalogue.get(pattern);
    if (!contract) {
      throw new Error(`@EventPattern('${pattern}') names no event in the contracts catalogue (known: ${[...EventCatalogue.keys()].join(', ')})`);
    }
    return contract.topic;
  }

  private async consumeBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const chunkSize = Math.max(1, this.consumerOptions.chunkSize ?? 1);
    const commitNext = (next: string) =>
      // Partitions finishing meanwhile share the request (see CoalescedOffsetCommits).
      this.offsetCommits.commit({ topic: batch.topic, partition: batch.partition, offset: next }, commitOffsetsIfNecessary);
    // The committed offset is the next one to read. Everything before it is durable: applied
    // (or recorded as a duplicate, skipped, or parked on the dead-letter topic).
    const commit = (offset: string) => commitNext((BigInt(offset) + 1n).toString());
    if (await this.seekToStoredPosition(payload, commitNext)) return;
    for (let start = 0; start < batch.messages.length; start += chunkSize) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(start, start + chunkSize);
      if (chunk.length > 1 && (await this.whileHeartbeating(payload, () => this.applyChunk(batch.topic, batch.partition, chunk)))) {
        resolveOffset(chunk[chunk.length - 1].offset);
        await commit(chunk[chunk.length - 1].offset);
        await heartbeat();
        continue;
      }
      let lastDone: string | undefined;
      for (const message of chunk) {
        if (!isRunning() || isStale()) break;
        const outcome = await this.whileHeartbeating(payload, () => this.consumeMessage(batch.topic, batch.partition, message, payload));
        if (outcome === 'stopped') break;
        resolveOffset(message.offset);
        lastDone = message.offset;
        await heartbeat();
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
  private async seekToStoredPosition(payload: EachBatchPayload, commitNext: (next: string) => Promise<void>): Promise<boolean> {
    const { topic, partition } = payload.batch;
    const key = `${topic}:${partition}`;
    if (this.positionsChecked.has(key) || payload.batch.isEmpty()) return false;
    const { consumerGroup, dataSource } = this.consumerOptions;
    const stored = (await readPartitionPosition(dataSource.manager, { consumerGroup, topic, partition }))?.nextOffset;
    this.positionsChecked.add(key);
    if (stored === undefined || BigInt(payload.batch.firstOffset()!) >= stored) return false;
    this.logger.log(`${topic}[${partition}]: seeking from ${payload.batch.firstOffset()} to the position stored with the effects, ${stored}`);
    this.consumer?.seek({ topic, partition, offset: stored.toString() });
    await commitNext(stored.toString());
    this.stats.seeks++;
    return true;
  }

  /**
   * Keeps the group membership alive while slow work runs (a database that takes seconds per
   * query): consumption simply slows down, nothing is buffered, and the partition is not handed
   * to another instance mid-message.
   */
  private async whileHeartbeating<T>(payload: EachBatchPayload, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => void payload.heartbeat().catch(() => undefined), HEARTBEAT_WHILE_WORKING_MS);
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
  private async applyChunk(topic: string, partition: number, messages: KafkaMessage[]): Promise<boolean> {
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
  private async consumeMessage(topic: string, partition: number, message: KafkaMessage, payload: EachBatchPayload): Promise<Outcome> {
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
        { onRetry: () => this.recorder.retried(topic, contract.pattern), wait: (delayMs) => this.waitWhileRunning(delayMs, payload) },
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
  private async waitWhileRunning(delayMs: number, payload: EachBatchPayload): Promise<boolean> {
    const until = Date.now() + delayMs;
    while (Date.now() < until) {
      if (!payload.isRunning() || payload.isStale()) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
      await payload.heartbeat();
    }
    return payload.isRunning() && !payload.isStale();
  }
}
