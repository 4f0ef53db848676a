import { Logger } from '@nestjs/common';
import { Admin, ConfigResourceTypes, Consumer, IS_CONTROL, ListOffsetTimestamps, ProduceAcks, Producer } from '@platformatic/kafka';
import type { ClusterMetadata, GroupAssignment } from '@platformatic/kafka';
import { ConsumedRecord, GroupConsumer, GroupConsumerListener, GroupConsumerOptions, KafkaDriver, OutgoingRecord, PartitionBatch, PartitionLag, PartitionOffset, RecordHeaders, RecordProducer, TopicRecords, TopicSpec } from '../driver/kafka-driver';
import { KafkaSettings } from '../kafka-settings';
import { platformaticConnection } from './platformatic-connection';
import { javaCompatiblePartitioner } from './java-compatible.partitioner';
import { headersOut } from './platformatic-headers';
import { platformaticGroupLag } from './platformatic-consumer-lag';

/** How long a fetch waits at the broker for new records (Kafka's fetch.max.wait.ms; kafkajs's maxWaitTimeInMs is 5 s). */
const FETCH_MAX_WAIT_MS = 500;
/** Failed rounds (a fetch, or a batch whose handling threw) in a row after which the consumer gives up and lets its owner start over. */
const FETCH_ATTEMPTS = 20;
const FETCH_RETRY_MS = 500;
const OFFSET_OUT_OF_RANGE = 1;
/**
 * How often an idle consumer commits its partitions' positions again. The library retries a commit
 * that failed because the group was rebalancing by rejoining and committing with the new
 * generation, whether or not the partition is still this member's: a former owner's late commit
 * can move the group's offset back below what the new owner committed (seen in the bench: 3
 * instances joining at once left a partition's committed offset 407 behind, with every event
 * applied). Effects stay exactly-once (the position stored with them skips what was applied), but
 * lag would show work that is done, and a restart would read it again. Committing the positions
 * again while there is nothing to fetch puts the offset back within this interval.
 */
const IDLE_RECOMMIT_MS = 5_000;

type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;

/**
 * The @platformatic/kafka adapter of the Kafka driver port. Its consumer does not use the
 * library's message stream: the stream fetches ahead into a buffer of its own and, after a
 * rebalance, still hands over records fetched before it, so a partition could skip ahead of its
 * committed offset. Relay's consumer keeps its position itself (an offset below the stored
 * position counts as applied), so a skipped record would be lost. Here each fetch asks for exactly
 * the offsets the consumer is at, and the next fetch of a partition waits until its batch is done:
 * in order, no gaps, no buffer beyond one fetch. Topics are created with the kafkajs adapter's
 * provisioner (kafka-drivers.ts hands it over): the one implementation of their checks for now.
 */
export class PlatformaticDriver implements KafkaDriver {
  readonly client = 'platformatic';

  constructor(
    private readonly settings: KafkaSettings,
    private readonly ensureTopicsWith: (topics: readonly TopicSpec[]) => Promise<void>,
  ) {}

  private base(suffix: string) {
    return { clientId: `${this.settings.clientId}${suffix}`, ...platformaticConnection(this.settings.brokers, this.settings.security), retries: 8, retryDelay: 200 };
  }

  groupConsumer(options: GroupConsumerOptions): GroupConsumer {
    return new PlatformaticGroupConsumer(this.base(''), options);
  }

  async connectProducer(): Promise<RecordProducer> {
    // The Java client's (and kafkajs's) partitioner: a key lands on the partition the other clients put it on.
    const producer = new Producer({ ...this.base('-producer'), idempotent: true, acks: ProduceAcks.ALL, autocreateTopics: false, partitioner: javaCompatiblePartitioner });
    // Connected now, as the port promises: a relay that cannot reach Kafka learns it before it claims a batch.
    await producer.connectToBrokers().catch(async (error: unknown) => {
      await producer.close().catch(() => undefined);
      throw error;
    });
    const sendBatch = async (batch: readonly TopicRecords[]) => {
      // One send: the library makes one produce request per partition leader of it.
      await producer.send({ messages: batch.flatMap(({ topic, records }) => records.map((record) => messageOut(topic, record))), acks: ProduceAcks.ALL });
    };
    return {
      send: (topic, records) => sendBatch([{ topic, records }]),
      sendBatch,
      disconnect: () => producer.close(),
    };
  }

  ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    return this.ensureTopicsWith(topics);
  }

  async maxMessageBytes(topics: readonly string[]): Promise<Map<string, number>> {
    const limits = new Map<string, number>();
    if (topics.length === 0) return limits;
    const admin = new Admin(this.base('-admin'));
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((resourceName) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName, configurationKeys: ['max.message.bytes'] })),
      });
      for (const resource of described) {
        const value = Number(resource.configs.find((config) => config.name === 'max.message.bytes')?.value);
        if (Number.isSafeInteger(value) && value > 0) limits.set(resource.resourceName, value);
      }
      return limits;
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  async groupLag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    const admin = new Admin(this.base('-admin'));
    try {
      return await platformaticGroupLag(admin, groupId, topics);
    } finally {
      await admin.close().catch(() => undefined);
    }
  }
}

const messageOut = (topic: string, record: OutgoingRecord) => ({ topic, key: bufferOf(record.key), value: bufferOf(record.value), headers: headersOut(record.headers) });

const bufferOf = (value: Buffer | string | null | undefined): Buffer | undefined => (value === null || value === undefined ? undefined : Buffer.isBuffer(value) ? value : Buffer.from(value));

interface PartitionState {
  topic: string;
  partition: number;
  /** The next offset to fetch. */
  offset: bigint;
  leaderEpoch: number;
}

type Connection = ReturnType<PlatformaticDriver['base']>;

class PlatformaticGroupConsumer implements GroupConsumer {
  private readonly logger = new Logger('PlatformaticGroupConsumer');
  private consumer: Consumer | undefined;
  /** Bumped on every assignment and every leave: a loop or batch of an older generation stops. */
  private generation = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly options: GroupConsumerOptions,
  ) {}

  async start(topics: readonly string[], listener: GroupConsumerListener): Promise<void> {
    const { groupId, sessionTimeoutMs, heartbeatIntervalMs, rebalanceTimeoutMs, maxBytes, maxBytesPerPartition } = this.options;
    const consumer = new Consumer({
      ...this.connection,
      groupId,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs,
      rebalanceTimeout: rebalanceTimeoutMs,
      maxBytes,
      maxBytesPerPartition,
      autocommit: false,
      // kafkajs's default assignor, by name and version (the library's own round robin is called
      // 'roundrobin'): members on either client can share a group, so a group can move from one
      // client to the other an instance at a time instead of failing with INCONSISTENT_GROUP_PROTOCOL.
      protocols: [{ name: 'RoundRobinAssigner', version: 0 }],
    });
    this.consumer = consumer;
    consumer.on('consumer:group:join', ({ assignments }: { assignments?: GroupAssignment[] }) => {
      const generation = ++this.generation;
      const assignment = Object.fromEntries((assignments ?? []).map(({ topic, partitions }) => [topic, [...partitions]]));
      listener.assigned(assignment);
      // The previous generation's loop finishes its batch first: a partition is never worked on twice at once here.
      const previous = this.loop;
      this.loop = (async () => {
        await previous?.catch(() => undefined);
        await this.consume(generation, assignment, listener);
      })();
    });
    // Another member joins or leaves: stop working on the partitions before the group moves them.
    consumer.on('consumer:group:rebalance', () => this.generation++);
    consumer.on('consumer:group:leave', () => {
      this.generation++;
      listener.left();
    });
    // A rejoin that failed is emitted as 'error' (with no listener, Node would throw it and end the
    // process); a rejoin that never completes shows as a stalled heartbeat. Either way this member is
    // out of its group for good: the owner starts a new consumer.
    consumer.on('error', (error: Error) => listener.failed(error));
    consumer.on('consumer:heartbeat:stalled', ({ stalledFor, lastError }: { stalledFor: number; lastError?: Error }) =>
      listener.failed(new Error(`no heartbeat for ${stalledFor} ms${lastError ? `: ${lastError.message}` : ''}`)),
    );
    consumer.topics.trackAll(...topics);
    await consumer.joinGroup({ sessionTimeout: sessionTimeoutMs, rebalanceTimeout: rebalanceTimeoutMs, heartbeatInterval: heartbeatIntervalMs });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    await this.loop?.catch(() => undefined);
    await this.consumer?.close(true).catch(() => undefined);
  }

  private active(generation: number): boolean {
    return !this.stopped && this.generation === generation;
  }

  /** One generation's fetch loop: fetch every assigned partition from where it is, hand over the batches, repeat. */
  private async consume(generation: number, assignment: Record<string, number[]>, listener: GroupConsumerListener): Promise<void> {
    const consumer = this.consumer!;
    let failures = 0;
    let partitions: PartitionState[] | undefined;
    let recommittedAt = Date.now();
    while (this.active(generation)) {
      try {
        partitions ??= await this.startingPositions(consumer, assignment);
        if (partitions.length === 0) return;
        // After a failure the leaders may have moved: ask the cluster again rather than the cache.
        const batches = await this.fetchRound(consumer, partitions, failures > 0);
        failures = 0;
        if (batches.length === 0 && Date.now() - recommittedAt >= IDLE_RECOMMIT_MS) {
          // Nothing to fetch: every partition's position is the end of its log, all of it dealt with.
          recommittedAt = Date.now();
          const owned = partitions;
          if (this.active(generation)) await this.commit(owned.map(({ topic, partition, offset }) => ({ topic, partition, offset: offset.toString() })), owned);
          continue;
        }
        await this.handOver(generation, batches, listener);
      } catch (error) {
        if (!this.active(generation)) return;
        if (++failures >= FETCH_ATTEMPTS) {
          listener.failed(error as Error);
          return;
        }
        if (failures === 1 || failures % 5 === 0) this.logger.warn(`fetching or handing over a batch failed (attempt ${failures}), retrying: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, FETCH_RETRY_MS));
      }
    }
  }

  /** Each assigned partition's committed offset, or its first offset when the group has none. */
  private async startingPositions(consumer: Consumer, assignment: Record<string, number[]>): Promise<PartitionState[]> {
    const topics = Object.entries(assignment).filter(([, partitions]) => partitions.length > 0);
    if (topics.length === 0) return [];
    const committed = await consumer.listCommittedOffsets({ topics: topics.map(([topic, partitions]) => ({ topic, partitions })) });
    const earliest = await consumer.listOffsets({ topics: topics.map(([topic]) => topic), partitions: Object.fromEntries(topics), timestamp: ListOffsetTimestamps.EARLIEST });
    return topics.flatMap(([topic, partitions]) =>
      partitions.map((partition) => {
        const offset = committed.get(topic)?.[partition];
        return { topic, partition, offset: offset !== undefined && offset >= 0n ? offset : earliest.get(topic)![partition], leaderEpoch: -1 };
      }),
    );
  }

  /** One fetch per partition leader, all at once; the records of each partition that has some. */
  private async fetchRound(consumer: Consumer, partitions: PartitionState[], forceUpdate: boolean): Promise<Array<{ state: PartitionState; records: ConsumedRecord[] }>> {
    const metadata = await consumer.metadata({ topics: [...new Set(partitions.map(({ topic }) => topic))], forceUpdate });
    const byLeader = new Map<number, PartitionState[]>();
    for (const state of partitions) {
      const leader = metadata.topics.get(state.topic)!.partitions[state.partition].leader;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), state]);
    }
    const rounds = await Promise.all([...byLeader].map(([node, states]) => this.fetchFrom(consumer, metadata, node, states)));
    return rounds.flat();
  }

  private async fetchFrom(consumer: Consumer, metadata: ClusterMetadata, node: number, states: PartitionState[]): Promise<Array<{ state: PartitionState; records: ConsumedRecord[] }>> {
    const byTopic = new Map<string, PartitionState[]>();
    for (const state of states) byTopic.set(state.topic, [...(byTopic.get(state.topic) ?? []), state]);
    const topicIds = new Map<string, string>();
    const topics = [...byTopic].map(([topic, each]) => {
      const topicId = metadata.topics.get(topic)!.id;
      topicIds.set(topicId, topic);
      return {
        topicId,
        partitions: each.map(({ partition, offset }) => ({ partition, fetchOffset: offset, partitionMaxBytes: this.options.maxBytesPerPartition, currentLeaderEpoch: -1, lastFetchedEpoch: -1 })),
      };
    });
    let response: FetchResponse;
    try {
      response = await consumer.fetch({ node, topics, maxWaitTime: FETCH_MAX_WAIT_MS, minBytes: 1, maxBytes: this.options.maxBytes });
    } catch (error) {
      // A committed offset the log no longer has (retention deleted it): start from the log's first record.
      const partial = (error as { response?: FetchResponse }).response;
      const outOfRange = partial?.responses.flatMap((topic) => topic.partitions.filter((p) => p.errorCode === OFFSET_OUT_OF_RANGE).map((p) => ({ topic: topicIds.get(topic.topicId), partition: p.partitionIndex, logStart: p.logStartOffset }))) ?? [];
      for (const { topic, partition, logStart } of outOfRange) {
        const state = states.find((each) => each.topic === topic && each.partition === partition);
        if (state && logStart >= 0n) {
          this.logger.warn(`${topic}[${partition}]: offset ${state.offset} is no longer in the log; starting from ${logStart}`);
          state.offset = logStart;
        }
      }
      throw error;
    }
    const found: Array<{ state: PartitionState; records: ConsumedRecord[] }> = [];
    for (const topicResponse of response.responses) {
      const topic = topicIds.get(topicResponse.topicId);
      for (const { partitionIndex, records: recordBatches } of topicResponse.partitions) {
        const state = states.find((each) => each.topic === topic && each.partition === partitionIndex);
        if (!state || !recordBatches) continue;
        const records: ConsumedRecord[] = [];
        for (const batch of recordBatches) {
          state.leaderEpoch = batch.partitionLeaderEpoch;
          // Transaction markers carry no record for the consumer (Relay's producers write none).
          if (batch.attributes & IS_CONTROL) continue;
          for (const record of batch.records) {
            const offset = batch.firstOffset + BigInt(record.offsetDelta);
            // A fetch returns whole record batches: the first may start before the offset asked for.
            if (offset < state.offset) continue;
            records.push({
              key: record.key,
              value: record.value,
              headers: headersIn(record.headers),
              offset: offset.toString(),
              timestamp: (batch.firstTimestamp + record.timestampDelta).toString(),
            });
          }
        }
        if (records.length > 0) found.push({ state, records });
      }
    }
    return found;
  }

  /** Hands the batches to the listener, at most partitionsConsumedConcurrently at once, and moves each partition on by what was done. */
  private async handOver(generation: number, batches: Array<{ state: PartitionState; records: ConsumedRecord[] }>, listener: GroupConsumerListener): Promise<void> {
    const queue = [...batches];
    const worker = async () => {
      for (let next = queue.shift(); next && this.active(generation); next = queue.shift()) {
        const { state, records } = next;
        let done: bigint | undefined;
        let seekTo: bigint | undefined;
        const batch: PartitionBatch = {
          topic: state.topic,
          partition: state.partition,
          records,
          isActive: () => this.active(generation),
          // The client heartbeats on its own timer, whatever the consumer is doing.
          heartbeat: async () => undefined,
          markDone: (offset) => (done = BigInt(offset) + 1n),
          seek: (offset) => (seekTo = BigInt(offset)),
          // Not after the group moved on: the partitions may be another member's by now.
          commit: (offsets) => (this.active(generation) ? this.commit(offsets, [state]) : Promise.reject(new Error('the group rebalanced: this batch is no longer this member\'s to commit'))),
        };
        await listener.batch(batch);
        state.offset = seekTo ?? done ?? state.offset;
      }
    };
    // Every worker finishes before the next fetch, also when one fails: a partition is fetched again only once its batch is over.
    const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(this.options.partitionsConsumedConcurrently, queue.length)) }, worker));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Commits next offsets to read; `known` gives the leader epochs of the partitions it has. */
  private async commit(offsets: readonly PartitionOffset[], known: readonly PartitionState[]): Promise<void> {
    await this.consumer!.commit({
      offsets: offsets.map(({ topic, partition, offset }) => ({
        topic,
        partition,
        offset: BigInt(offset),
        leaderEpoch: known.find((state) => state.topic === topic && state.partition === partition)?.leaderEpoch ?? -1,
      })),
    });
  }
}

function headersIn(headers: Array<[Buffer | null, Buffer | null]>): RecordHeaders {
  const out: RecordHeaders = {};
  for (const [name, value] of headers) {
    if (name === null) continue;
    const key = name.toString();
    const existing = out[key];
    const each = value ?? Buffer.alloc(0);
    out[key] = existing === undefined ? each : [...(Array.isArray(existing) ? existing : [existing]), each];
  }
  return out;
}
