import { MessageHandler, ServerKafka } from '@nestjs/microservices';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage, logLevel, Partitioners } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { DataSource, EntityManager } from 'typeorm';
import { AnyEventContract, deadLetterTopicFor, decodeEvent, EventCatalogue, EventEnvelope } from '@relay/contracts';
import { applyOnce, claimEvents } from '../inbox/apply-once';
import { failpoint } from '../failpoints';
import { messagingMetrics } from '../metrics';
import { childTraceparent, currentWorkContext, runInWorkContext } from '@relay/service-runtime';
import { KafkaSettings, nestLogCreator } from '../kafka/kafka-settings';
import { ensureTopics } from '../kafka/topic-provisioner';
import { ConsumedBatchContext, ConsumedEventContext, ConsumedEventOrigin } from './consumed-event.context';
import { BATCH_HANDLER_EXTRA } from './on-event.decorator';
import { ConsumerStats } from './consumer-stats';
import { toDeadLetterMessage } from './dead-letter';
import { CoalescedOffsetCommits } from './offset-commits';
import { backoffDelayMs, countsAsAttempt, defaultFailurePolicy, FailurePolicy, isRetriable } from './failure-policy';

export interface EventConsumerOptions {
  kafka: KafkaSettings;
  /** The Kafka consumer group. Every group gets every event; instances of one group share partitions. */
  consumerGroup: string;
  /** Where the handler's effects and the processed-events records are written, in one transaction. */
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

interface ChunkItem {
  message: KafkaMessage;
  contract: AnyEventContract;
  envelope: EventEnvelope;
  handler: MessageHandler | null;
  outcome: 'applied' | 'duplicate' | 'skipped';
}

const isBatchHandler = (handler: MessageHandler) => (handler.extras as Record<string, unknown> | undefined)?.[BATCH_HANDLER_EXTRA] === true;

const HEARTBEAT_WHILE_WORKING_MS = 2_000;

/**
 * Nest's Kafka transport with the delivery guarantees Relay promises. Handlers are plain Nest
 * `@EventPattern(Contract.pattern)` methods; this server decides when an offset may be committed:
 *
 * - messages are pulled (kafkajs fetches, bounded by maxBytesPerPartition), never pushed;
 * - each event's effect runs in a database transaction with its processed-events record
 *   (applyOnce), so a redelivery has no second effect;
 * - offsets are committed only after that transaction commits, never automatically;
 * - a handler that throws is retried in place with backoff (the partition waits, keeping order),
 *   then the message is parked on `<topic>.dlq.<group>` and the partition moves on;
 * - a message that cannot be decoded (not JSON, bad envelope, unknown event, bad data) is poison:
 *   parked at once, without retries;
 * - a known event no handler of this group subscribes to is skipped on purpose: a topic carries
 *   events for many groups.
 */
export class EventConsumerServer extends ServerKafka {
  private readonly policy: FailurePolicy;
  private readonly stats: ConsumerStats;
  private closing = false;
  private connecting: Promise<void> | undefined;
  private offsetCommits = new CoalescedOffsetCommits();

  constructor(private readonly consumerOptions: EventConsumerOptions) {
    super({
      client: {
        clientId: consumerOptions.kafka.clientId,
        brokers: consumerOptions.kafka.brokers,
        retry: { initialRetryTime: 200, retries: 8 },
        logLevel: logLevel.WARN,
        logCreator: () => nestLogCreator(),
      },
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
    this.policy = consumerOptions.failurePolicy ?? defaultFailurePolicy;
    this.stats = consumerOptions.stats ?? new ConsumerStats();
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
    const commit = async (offset: string) => {
      // The committed offset is the next one to read. Everything before it is durable: applied
      // (or recorded as a duplicate, skipped, or parked on the dead-letter topic).
      // Partitions finishing meanwhile share the request (see CoalescedOffsetCommits).
      const next = (BigInt(offset) + 1n).toString();
      await this.offsetCommits.commit({ topic: batch.topic, partition: batch.partition, offset: next }, commitOffsetsIfNecessary);
    };
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
   * Applies a run of messages of one partition in one transaction, in order: one statement claims
   * all their processed-events records, then each run of consecutive events for one batch handler
   * (OnEvents) is one call, and any other handler gets its events one at a time. Returns false,
   * with nothing applied, if any message is poison or any handler throws: the caller then goes one
   * by one, where the failure policy decides per message.
   */
  private async applyChunk(topic: string, partition: number, messages: KafkaMessage[]): Promise<boolean> {
    const consumerGroup = this.consumerOptions.consumerGroup;
    const items: ChunkItem[] = [];
    for (const message of messages) {
      const result = decodeEvent(message.value);
      if (!result.ok) return false;
      items.push({ message, contract: result.contract, envelope: result.envelope, handler: this.getHandlerByPattern(result.contract.pattern), outcome: 'skipped' });
    }
    const stopTimer = messagingMetrics.processingSeconds.startTimer({ group: consumerGroup, event_type: 'chunk' });
    try {
      await this.consumerOptions.dataSource.transaction(async (manager) => {
        const handled = items.filter((item) => item.handler);
        const claimed = await claimEvents(
          manager,
          { consumerGroup, topic, partition },
          handled.map((item) => ({ eventId: item.envelope.eventId, eventType: item.contract.pattern, offset: item.message.offset })),
        );
        const toApply: ChunkItem[] = [];
        for (const item of handled) {
          // The first copy of an event claims it; a second copy in the same chunk is a duplicate.
          item.outcome = claimed.delete(item.envelope.eventId) ? 'applied' : 'duplicate';
          if (item.outcome === 'applied') toApply.push(item);
        }
        for (let start = 0; start < toApply.length; ) {
          const first = toApply[start];
          let end = start + 1;
          if (isBatchHandler(first.handler!)) {
            while (end < toApply.length && toApply[end].handler === first.handler) end++;
          }
          const run = toApply.slice(start, end);
          const origins = new Map(run.map((item) => [item.envelope.eventId, { offset: item.message.offset, traceparent: childTraceparent(item.message.headers?.traceparent?.toString()) }]));
          const workContext = {
            correlationId: first.envelope.correlationId,
            traceparent: origins.get(first.envelope.eventId)!.traceparent,
            eventId: first.envelope.eventId,
            eventType: first.contract.pattern,
            consumerGroup,
            topic,
            partition,
            offset: first.message.offset,
          };
          await runInWorkContext(workContext, () =>
            this.invokeHandler(first.handler!, run.map((item) => item.envelope), { topic, partition, offset: first.message.offset, attempt: 1, consumerGroup }, manager, origins),
          );
          // Counted per event, as on the one-by-one path: `consumer-mid-effect@n` is the n-th event.
          for (let each = start; each < end; each++) failpoint('consumer-mid-effect');
          start = end;
        }
      });
    } catch (error) {
      this.logger.debug(`chunk of ${messages.length} at ${topic}[${partition}]@${messages[0].offset} failed, applying one by one: ${(error as Error).message}`);
      return false;
    }
    failpoint('consumer-after-effect');
    stopTimer();
    for (const { contract, outcome } of items) {
      if (outcome === 'applied') this.stats.applied++;
      else if (outcome === 'duplicate') this.stats.duplicates++;
      else this.stats.skipped++;
      messagingMetrics.eventsConsumed.inc({ group: consumerGroup, topic, event_type: contract.pattern, outcome });
    }
    return true;
  }

  /** Calls a handler with its events: a batch handler with the run, any other with its one event. */
  private async invokeHandler(
    handler: MessageHandler,
    envelopes: EventEnvelope[],
    where: { topic: string; partition: number; offset: string; attempt: number; consumerGroup: string },
    manager: EntityManager,
    origins: ReadonlyMap<string, ConsumedEventOrigin>,
  ): Promise<void> {
    if (isBatchHandler(handler)) {
      const context = new ConsumedBatchContext([{ topic: where.topic, partition: where.partition, consumerGroup: where.consumerGroup, attempt: where.attempt }, manager, origins]);
      await lastValueFrom(this.transformToObservable(handler(envelopes, context)), { defaultValue: undefined });
      return;
    }
    for (const envelope of envelopes) {
      const offset = origins.get(envelope.eventId)?.offset ?? where.offset;
      const context = new ConsumedEventContext([{ ...where, offset }, manager]);
      await lastValueFrom(this.transformToObservable(handler(envelope, context)), { defaultValue: undefined });
    }
  }

  private async consumeMessage(topic: string, partition: number, message: KafkaMessage, payload: EachBatchPayload): Promise<Outcome> {
    const decoded = decodeEvent(message.value);
    if (!decoded.ok) {
      const now = new Date();
      this.logger.warn(`poison message at ${topic}[${partition}]@${message.offset} (${decoded.reason}): ${decoded.message}; parking it`);
      await this.deadLetter(topic, partition, message, `PoisonMessage:${decoded.reason}`, decoded.message, 1, now, now);
      messagingMetrics.eventsConsumed.inc({ group: this.consumerOptions.consumerGroup, topic, event_type: 'unknown', outcome: 'dead_lettered' });
      return 'done';
    }
    const { contract, envelope } = decoded;
    const handler = this.getHandlerByPattern(contract.pattern);
    if (!handler) {
      this.logger.debug(`no handler for ${contract.pattern} in group ${this.consumerOptions.consumerGroup}; skipping ${envelope.eventId}`);
      this.stats.skipped++;
      messagingMetrics.eventsConsumed.inc({ group: this.consumerOptions.consumerGroup, topic, event_type: contract.pattern, outcome: 'skipped' });
      return 'done';
    }
    let firstFailureAt: Date | undefined;
    const group = this.consumerOptions.consumerGroup;
    const labels = { group, topic, event_type: contract.pattern };
    const traceparent = childTraceparent(message.headers?.traceparent?.toString());
    const context = { correlationId: envelope.correlationId, traceparent, eventId: envelope.eventId, eventType: contract.pattern, consumerGroup: group, topic, partition, offset: message.offset };
    // `attempt` counts every try; `counted` only those that count toward the policy's maxAttempts.
    let counted = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await runInWorkContext(context, () => this.applyHandler(handler, envelope, { topic, partition, offset: message.offset, attempt }, contract.pattern));
        messagingMetrics.eventsConsumed.inc({ ...labels, outcome });
        return 'done';
      } catch (error) {
        firstFailureAt ??= new Date();
        const reason = error instanceof Error ? error.message : String(error);
        const errorClass = error instanceof Error ? error.name : typeof error;
        const outage = !countsAsAttempt(error);
        if (!outage) counted++;
        if (!isRetriable(error) || counted >= this.policy.maxAttempts) {
          this.logger.error(`${contract.pattern} ${envelope.eventId} at ${topic}[${partition}]@${message.offset} failed ${attempt} time(s), parking it: ${reason}`);
          await runInWorkContext(context, () => this.deadLetter(topic, partition, message, errorClass, reason, attempt, firstFailureAt!, new Date()));
          messagingMetrics.eventsFailed.inc({ ...labels, next: 'dead_lettered' });
          messagingMetrics.eventsConsumed.inc({ ...labels, outcome: 'dead_lettered' });
          return 'done';
        }
        const delay = backoffDelayMs(this.policy, attempt);
        this.stats.retried++;
        messagingMetrics.eventsFailed.inc({ ...labels, next: 'retried' });
        const progress = outage ? `try ${attempt}, database unavailable: not counted toward ${this.policy.maxAttempts} attempts` : `attempt ${counted}/${this.policy.maxAttempts}`;
        this.logger.warn(`${contract.pattern} ${envelope.eventId} at ${topic}[${partition}]@${message.offset} failed (${progress}), retrying in ${delay} ms: ${reason}`);
        if (!(await this.waitWhileRunning(delay, payload))) return 'stopped';
      }
    }
  }

  private async applyHandler(
    handler: MessageHandler,
    envelope: EventEnvelope,
    where: { topic: string; partition: number; offset: string; attempt: number },
    pattern: string,
  ): Promise<'applied' | 'duplicate'> {
    const consumerGroup = this.consumerOptions.consumerGroup;
    const stopTimer = messagingMetrics.processingSeconds.startTimer({ group: consumerGroup, event_type: pattern });
    const outcome = await applyOnce(
      this.consumerOptions.dataSource,
      { consumerGroup, eventId: envelope.eventId, eventType: pattern, topic: where.topic, partition: where.partition, offset: where.offset },
      async (manager) => {
        const origins = new Map([[envelope.eventId, { offset: where.offset, traceparent: currentWorkContext()?.traceparent }]]);
        await this.invokeHandler(handler, [envelope], { ...where, consumerGroup }, manager, origins);
        failpoint('consumer-mid-effect');
      },
    );
    failpoint('consumer-after-effect');
    stopTimer();
    if (outcome === 'duplicate') {
      this.stats.duplicates++;
      this.logger.debug(`${pattern} ${envelope.eventId} was already applied by ${consumerGroup}; skipped`);
    } else {
      this.stats.applied++;
      this.logger.debug(`applied ${pattern} ${envelope.eventId}`);
    }
    return outcome;
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    errorClass: string,
    errorMessage: string,
    attempts: number,
    firstFailureAt: Date,
    lastFailureAt: Date,
  ): Promise<void> {
    if (!this.producer) throw new Error('dead-letter producer is not connected');
    const consumerGroup = this.consumerOptions.consumerGroup;
    // acks: -1 (all in-sync replicas) before the source offset may be committed: a parked message
    // is never lost between the two topics.
    await this.producer.send({
      topic: deadLetterTopicFor(topic, consumerGroup),
      acks: -1,
      messages: [toDeadLetterMessage(message, { sourceTopic: topic, partition, consumerGroup, errorClass, errorMessage, attempts, firstFailureAt, lastFailureAt })],
    });
    this.stats.deadLettered++;
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
