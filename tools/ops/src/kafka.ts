import { randomBytes } from 'node:crypto';
import { Admin, Kafka, KafkaMessage, logLevel, Partitioners, Producer } from 'kafkajs';
import { kafkaClientSecurity, KafkaSecurity } from '@relay/service-runtime';
import { kafkaSecurityFrom } from './config';
import { OpsError } from './errors';
import { ProgressCallback } from './io';

export interface PartitionOffsets {
  partition: number;
  /** Earliest offset still in the log. */
  low: bigint;
  /** End offset (high watermark): the offset the next message gets. */
  high: bigint;
}

/** A range of offsets to read, `from` included, `to` excluded. */
export interface PartitionRange {
  partition: number;
  from: bigint;
  to: bigint;
}

/**
 * A client for short operator sessions: quiet (errors reach the caller as exceptions) and quick to
 * give up on an unreachable broker (about ten seconds instead of kafkajs's minutes). It logs in as
 * `security` says, by default as this process's KAFKA_* variables (kafkaSecurityFrom) say.
 */
export function createOpsKafka(brokers: string[], security: KafkaSecurity = kafkaSecurityFrom(process.env)): Kafka {
  return new Kafka({
    clientId: 'relay-ops',
    brokers,
    ...kafkaClientSecurity(security),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: 4 },
  });
}

export async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function requireTopic(admin: Admin, topic: string): Promise<void> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) {
    const known = topics.filter((name) => !name.startsWith('__')).sort();
    throw new OpsError(`topic "${topic}" does not exist${known.length > 0 ? ` (topics: ${known.join(', ')})` : ' (the broker has no topics yet)'}`);
  }
}

/** Low and high watermarks per partition, in partition order. */
export async function topicOffsets(admin: Admin, topic: string): Promise<PartitionOffsets[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets
    .map((entry) => ({ partition: entry.partition, low: BigInt(entry.low), high: BigInt(entry.high) }))
    .sort((a, b) => a.partition - b.partition);
}

/** Idempotent producer; every send waits for all in-sync replicas. */
export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return producer;
}

export interface ScanOptions {
  topic: string;
  ranges: PartitionRange[];
  onMessage: (partition: number, message: KafkaMessage) => void | Promise<void>;
  onProgress?: ProgressCallback;
  /** Give up when no message arrives for this long (default 30 s). */
  stallTimeoutMs?: number;
}

/**
 * Reads the given offset ranges of a topic with a throw-away consumer group that never commits,
 * and deletes the group afterwards. Resolves once every range has been read to its end.
 */
export async function scanTopic(kafka: Kafka, options: ScanOptions): Promise<{ scanned: number }> {
  const ranges = new Map(options.ranges.filter((range) => range.to > range.from).map((range) => [range.partition, range]));
  const total = [...ranges.values()].reduce((sum, range) => sum + Number(range.to - range.from), 0);
  let scanned = 0;
  options.onProgress?.(0, total);
  if (ranges.size === 0) return { scanned };

  const groupId = `relay-ops-scan-${process.pid}-${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 200 });
  const pending = new Set(ranges.keys());
  const nextOffset = new Map([...ranges.values()].map((range) => [range.partition, range.from]));
  const stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
  let lastProgressAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const finished = new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error));
      timer = setInterval(() => {
        if (pending.size === 0) resolve();
        else if (Date.now() - lastProgressAt > stallTimeoutMs) {
          const where = [...pending].map((partition) => `partition ${partition}`).join(', ');
          reject(new OpsError(`reading ${options.topic} made no progress for ${stallTimeoutMs / 1_000} s (still waiting on ${where})`));
        }
      }, 250);
    });
    // It may fail while the consumer is still joining; it is awaited below.
    finished.catch(() => undefined);
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        const range = ranges.get(batch.partition);
        if (!range || !pending.has(batch.partition)) {
          consumer.pause([{ topic: options.topic, partitions: [batch.partition] }]);
          return;
        }
        // A seek can take effect after a first fetch from the beginning: skip what was already read.
        let next = nextOffset.get(batch.partition)!;
        for (const message of batch.messages) {
          if (!isRunning() || isStale()) return;
          const offset = BigInt(message.offset);
          if (offset < next) continue;
          if (offset >= range.to) break;
          await options.onMessage(batch.partition, message);
          next = offset + 1n;
          nextOffset.set(batch.partition, next);
          scanned++;
          lastProgressAt = Date.now();
        }
        options.onProgress?.(scanned, total);
        // Offsets can have holes (control records, compaction): the batch's last offset counts too.
        if (next >= range.to || BigInt(batch.lastOffset()) >= range.to - 1n) {
          pending.delete(batch.partition);
          consumer.pause([{ topic: options.topic, partitions: [batch.partition] }]);
        }
        await heartbeat();
      },
    });
    for (const range of ranges.values()) consumer.seek({ topic: options.topic, partition: range.partition, offset: range.from.toString() });
    await finished;
    options.onProgress?.(total, total);
    return { scanned };
  } finally {
    clearInterval(timer);
    await consumer.disconnect().catch(() => undefined);
    await withAdmin(kafka, (admin) => admin.deleteGroups([groupId])).catch(() => undefined);
  }
}

/** Headers as strings (kafkajs gives Buffers, or arrays of them for repeated headers). */
export function headerStrings(message: Pick<KafkaMessage, 'headers'>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    result[name] = values.map((item) => item.toString()).join(', ');
  }
  return result;
}
