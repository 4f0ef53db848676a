import { CompressionTypes, Kafka, Message, Partitioners } from 'kafkajs';
import { anOrderPlacedV1, decodeEvent, OrderPlacedV1, uuidv7 } from '@relay/contracts';

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
}

/**
 * Produces `count` order-placed events onto `topic` as fast as kafkajs goes: batches of 1,000,
 * 8 requests in flight, acks from all in-sync replicas.
 */
export async function produceOrderEvents(
  kafka: Kafka,
  topic: string,
  count: number,
  options: { batchSize?: number; inFlight?: number; onProgress?: (done: number) => void } = {},
): Promise<LoadTopicResult> {
  const factory = new OrderEventFactory();
  const batchSize = options.batchSize ?? 1_000;
  const inFlight = options.inFlight ?? 8;
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = Date.now();
  let next = 0;
  let done = 0;
  try {
    const worker = async (): Promise<void> => {
      while (next < count) {
        const from = next;
        const size = Math.min(batchSize, count - from);
        next += size;
        const messages = Array.from({ length: size }, (_, k) => factory.message(from + k));
        await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages });
        done += size;
        options.onProgress?.(done);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, () => worker()));
  } finally {
    await producer.disconnect();
  }
  const seconds = (Date.now() - started) / 1000;
  return { events: count, seconds, eventsPerSecond: count / seconds, valueBytes: factory.valueBytes };
}
