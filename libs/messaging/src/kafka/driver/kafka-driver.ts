/**
 * The Kafka driver port: what Relay's consumer and outbox relays need of a Kafka client, in Relay's
 * terms. The consumer server, its stages, the dead-letter parker and the relays are written against
 * these types only; an adapter (`kafka/kafkajs/`, `kafka/platformatic/`) is the one place that
 * imports a client package, so a client can be swapped or measured against another without touching
 * what happens to a message.
 *
 * The shape is the one a consumer that keeps its own position needs: batches per partition pulled
 * (never pushed), offsets committed by hand once the effect is durable, a seek to the position
 * stored with the effects, heartbeats while slow work runs, and word of assignments and crashes.
 */

/** Header values as Kafka clients hand them over: bytes, text, or several of either. */
export type RecordHeaders = Record<string, Buffer | string | Array<Buffer | string> | undefined>;

/** A consumed record. Offsets and timestamps are decimal text: an int64 does not fit a number. */
export interface ConsumedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeaders;
  offset: string;
  timestamp: string;
}

/** A record to produce. */
export interface OutgoingRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: RecordHeaders;
}

/** One partition's next offset to read, as Kafka's OffsetCommit takes it. */
export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** The records of one partition fetched together, in offset order, and what may be done meanwhile. */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ConsumedRecord[];
  /** False once this member lost the partition or the consumer is stopping: stop working on it. */
  isActive(): boolean;
  /** Keeps this member in its group while slow work runs. */
  heartbeat(): Promise<void>;
  /** The record at `offset` is dealt with: the next fetch of this partition starts after it. */
  markDone(offset: string): void;
  /** The next fetch of this partition starts at `offset`; the rest of this batch is stale. */
  seek(offset: string): void;
  /**
   * Commits next offsets to read for partitions this member owns (this one and others, so one
   * request can carry several). Rejects if the commit failed: the caller then must not move on.
   */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
}

/** What a group consumer tells its owner. */
export interface GroupConsumerListener {
  /** One batch at a time per partition; the next batch of that partition waits for this one. */
  batch(batch: PartitionBatch): Promise<void>;
  /** This member joined the group with these partitions (topic to partition numbers). */
  assigned(assignment: Record<string, number[]>): void;
  /** This member has no partitions any more (stopped, disconnected or crashed). */
  left(): void;
  /** The client crashed and will not recover by itself: the owner must start a new consumer. */
  failed(error: Error): void;
}

export interface GroupConsumerOptions {
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  /** Most bytes one fetch brings back, all partitions together, and per partition. */
  maxBytes: number;
  maxBytesPerPartition: number;
  /** Partitions whose batches are handled at once (each partition still in order). */
  partitionsConsumedConcurrently: number;
}

/** A member of a consumer group that commits by hand, reading a partition from its start when the group has no offset for it. */
export interface GroupConsumer {
  /** Connects, joins, subscribes to `topics` and starts fetching; resolves once running. */
  start(topics: readonly string[], listener: GroupConsumerListener): Promise<void>;
  /** Leaves the group and disconnects; safe to call on a consumer that never started. */
  stop(): Promise<void>;
}

/** Records for one topic, in the order they are to be written (per partition). */
export interface TopicRecords {
  topic: string;
  records: readonly OutgoingRecord[];
}

/**
 * An idempotent producer whose sends resolve once every in-sync replica has every record of the
 * send (acks=all), partitioning keys as the Java client does. A send that rejects may have written
 * some of its records: the caller sends them again, and consumers drop the copies.
 */
export interface RecordProducer {
  send(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  /**
   * Sends the records of several topics together: one produce request per broker, so a broker
   * refuses it whole when a partition's records are over the topic's max.message.bytes.
   */
  sendBatch(batch: readonly TopicRecords[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** A consumer group's position in one partition, and how far behind the end of the log it is. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** Next offset the group will read; -1 when the group has committed nothing on this partition. */
  committedOffset: string;
  endOffset: string;
  /** Records from the committed offset (or, with none, the log's first) to the end. */
  lag: string;
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
}

/** A Kafka client behind the port. */
export interface KafkaDriver {
  /** Which client this is, for logs and the bench. */
  readonly client: string;
  groupConsumer(options: GroupConsumerOptions): GroupConsumer;
  /** A connected producer. */
  connectProducer(): Promise<RecordProducer>;
  /** Creates the topics that do not exist yet, and checks those that do (kafka/kafkajs/kafkajs-topic-provisioner.ts). */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /**
   * Each topic's `max.message.bytes` (the topic's own, or the broker's default for it); a topic
   * whose value the broker did not give is left out. Rejects when the broker will not say at all
   * (e.g. no DescribeConfigs right).
   */
  maxMessageBytes(topics: readonly string[]): Promise<Map<string, number>>;
  /** Every partition of `topics`, in topic then partition order, with `groupId`'s committed offset and lag. */
  groupLag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]>;
}
