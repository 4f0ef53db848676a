import { randomBytes } from 'node:crypto';
import { CompressionTypes, Kafka, Message, Partitioners } from 'kafkajs';
import { anOrderPlacedV1, decodeEvent, OrderPlacedV1, uuidv7 } from '@relay/contracts';
import { RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER, sequenceText } from '@relay/messaging';

/** SKUs the bench gives stock to; orders cycle through them, so reservations succeed. */
export const BENCH_SKUS: string[] = [];

/** Sets how many SKUs the run uses (before anything is seeded or loaded). */
export function useSkuCount(count: number): void {
  BENCH_SKUS.length = 0;
  for (let i = 0; i < count; i++) BENCH_SKUS.push(`SKU-B-${String(i).padStart(2, '0')}`);
}
useSkuCount(100);
export const BENCH_STOCK = 10_000_000;

/**
 * Order-placed envelopes as the orders service writes them (same fields, same headers, same key),
 * made by filling a template that `anOrderPlacedV1` built and the contracts validated, so a million
 * of them cost no schema parse each.
 */
/** Stands for the SKU in the template; a valid SKU itself, since the contracts check SKUs. */
const SKU_PLACEHOLDER = 'BENCH-SKU-PLACEHOLDER';

export class OrderEventFactory {
  private readonly template: string;

  constructor(private readonly skus: readonly string[] = BENCH_SKUS) {
    const sample: OrderPlacedV1 = anOrderPlacedV1(
      { orderId: '00000000-0000-4000-8000-000000000001', customerId: 'bench-c-000', items: [{ sku: SKU_PLACEHOLDER, quantity: 1 }] },
      { eventId: '00000000-0000-4000-8000-000000000002', producer: 'orders' },
    );
    this.template = JSON.stringify(sample)
      .replace('00000000-0000-4000-8000-000000000002', '@EVENT@')
      .replaceAll('00000000-0000-4000-8000-000000000001', '@ORDER@')
      .replace('bench-c-000', '@CUSTOMER@')
      .replaceAll(sample.occurredAt, '@AT@')
      .replaceAll(sample.data.placedAt, '@AT@');
    const probe = this.message(0);
    const decoded = decodeEvent(probe.value as string);
    if (!decoded.ok || decoded.contract.pattern !== OrderPlacedV1.pattern) {
      throw new Error(`the bench's order-placed template does not decode: ${decoded.ok ? decoded.contract.pattern : decoded.message}`);
    }
  }

  message(i: number): Message {
    const orderId = uuidv7();
    const at = new Date().toISOString();
    const value = this.template
      .replace('@EVENT@', uuidv7())
      .replaceAll('@ORDER@', orderId)
      .replace('@CUSTOMER@', `bench-c-${String(i % 1000).padStart(3, '0')}`)
      .replace(SKU_PLACEHOLDER, this.skus[i % this.skus.length])
      .replaceAll('@AT@', at);
    return { key: orderId, value, headers: { 'x-correlation-id': orderId, 'x-event-type': OrderPlacedV1.pattern } };
  }

  /** Bytes of one record's value (what ProducerPerformance's --record-size stands for). */
  get valueBytes(): number {
    return Buffer.byteLength(this.message(0).value as string);
  }
}

export interface LoadTopicResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  valueBytes: number;
  /** The x-relay-producer of the events loaded (their sequences count 1, 2, 3… per partition). */
  producer: string;
}

/** Which partition kafkajs's default partitioner (the relays' too) gives each message of `topic`. */
async function keyPartitioner(kafka: Kafka, topic: string): Promise<(message: Message) => number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [{ partitions }] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const partitioner = Partitioners.DefaultPartitioner();
    return (message) => partitioner({ topic, partitionMetadata: partitions, message });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Produces `count` order-placed events onto `topic` as fast as kafkajs goes (batches of 1,000 per
 * partition, acks from all in-sync replicas), stamped as a relay stamps the services' events: a
 * producer id (new for each load) and a sequence that goes up by one per partition. Consumers then
 * take the path they take for the services' events (the partition's position, one row per
 * partition), not the per-event claim they keep for events without a sequence.
 *
 * Each partition has one send in flight at a time, so its sequences reach Kafka in order: a
 * consumer skips an event whose sequence is not above the highest it applied from that producer,
 * so an event overtaken by a later one would be lost. The partitions are sent to side by side.
 */
export async function produceOrderEvents(
  kafka: Kafka,
  topic: string,
  count: number,
  options: { batchSize?: number; onProgress?: (done: number) => void } = {},
): Promise<LoadTopicResult> {
  const factory = new OrderEventFactory();
  const batchSize = options.batchSize ?? 1_000;
  const producerId = `bench-load-${randomBytes(4).toString('hex')}`;
  const partitionOf = await keyPartitioner(kafka, topic);
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const lanes = new Map<number, { pending: Message[]; sequence: bigint; sending: Promise<void> }>();
  let failure: Error | undefined;
  let done = 0;
  const send = async (partition: number, lane: { pending: Message[]; sending: Promise<void> }): Promise<void> => {
    const messages = lane.pending;
    lane.pending = [];
    await lane.sending;
    if (failure) throw failure;
    lane.sending = producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages }).then(
      () => {
        done += messages.length;
        options.onProgress?.(done);
      },
      (error: Error) => {
        failure ??= error;
      },
    );
  };
  const started = Date.now();
  try {
    for (let i = 0; i < count; i++) {
      const message = factory.message(i);
      const partition = partitionOf(message);
      let lane = lanes.get(partition);
      if (!lane) lanes.set(partition, (lane = { pending: [], sequence: 0n, sending: Promise.resolve() }));
      lane.sequence += 1n;
      message.partition = partition;
      message.headers = { ...message.headers, [RELAY_PRODUCER_HEADER]: producerId, [RELAY_SEQUENCE_HEADER]: sequenceText({ commitLsn: lane.sequence, index: 0 }) };
      lane.pending.push(message);
      if (lane.pending.length >= batchSize) await send(partition, lane);
    }
    for (const [partition, lane] of lanes) if (lane.pending.length > 0) await send(partition, lane);
    await Promise.all([...lanes.values()].map((lane) => lane.sending));
    if (failure) throw failure;
  } finally {
    await producer.disconnect();
  }
  const seconds = (Date.now() - started) / 1000;
  return { events: count, seconds, eventsPerSecond: count / seconds, valueBytes: factory.valueBytes, producer: producerId };
}
