import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners } from 'kafkajs';
import { Client, Pool } from 'pg';
import { Topics } from '@relay/contracts';
import { KAFKA_TOOL_CLASSES, runKafkaTool } from '@relay/local-stack';
import { OrderEventFactory } from '../events';
import { prepareInventorySchemas } from './catch-up';
import { BenchPlan } from '../options';
import { progress } from '../progress';
import { BenchStack } from '../stack';
import { round, sleep } from '../stats';

export interface ProducerPerfResult {
  records: number;
  recordSize: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  avgLatencyMs: number;
  p99LatencyMs: number;
  raw: string;
}

export interface ConsumerPerfResult {
  messages: number;
  /** Messages per second over the whole run, group join included. */
  messagesPerSecond: number;
  /** Messages per second while fetching (join/rebalance time excluded): the figure compared. */
  fetchMessagesPerSecond: number;
  mbPerSecond: number;
  rebalanceMs: number;
  raw: string;
}

export interface PgBaselineResult {
  clients: number;
  seconds: number;
  transactions: number;
  transactionsPerSecond: number;
  statements: string[];
}

export interface KafkajsProducerResult {
  label: string;
  records: number;
  recordsPerSecond: number;
  batchSize: number;
  inFlight: number;
}

export interface KafkajsConsumerResult {
  messages: number;
  /** From the first message to the last (join excluded). */
  messagesPerSecond: number;
  joinSeconds: number;
}

export interface KafkajsEffectConsumerResult {
  messages: number;
  /** From the first message to the last committed (join excluded): the floor for the catch-up. */
  messagesPerSecond: number;
  transactions: number;
  joinSeconds: number;
  statements: string[];
}

export interface BaselineResults {
  recordBytes: number;
  producerPerformance: ProducerPerfResult | { error: string };
  consumerPerformance: ConsumerPerfResult | { error: string };
  pgOrderInsert: PgBaselineResult | { error: string };
  kafkajsProducer: Array<KafkajsProducerResult | { label: string; error: string }>;
  kafkajsConsumer: KafkajsConsumerResult | { error: string };
  kafkajsEffectConsumer?: KafkajsEffectConsumerResult | { error: string };
}

// ---------------------------------------------------------------------------------------------------
// Kafka's own tools

/** "100000 records sent, 56980.1 records/sec (19.16 MB/sec), 1290.37 ms avg latency, …, 1713 ms 99th, …" */
export function parseProducerPerformance(stdout: string): Omit<ProducerPerfResult, 'records' | 'recordSize' | 'raw'> {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => /records sent,.*records\/sec/.test(l) && /99th/.test(l));
  if (!line) throw new Error(`no summary line in ProducerPerformance output:\n${stdout.slice(-2_000)}`);
  const number = (pattern: RegExp) => Number(pattern.exec(line)?.[1] ?? Number.NaN);
  return {
    recordsPerSecond: number(/([\d.]+) records\/sec/),
    mbPerSecond: number(/\(([\d.]+) MB\/sec\)/),
    avgLatencyMs: number(/([\d.]+) ms avg latency/),
    p99LatencyMs: number(/([\d.]+) ms 99th/),
  };
}

/**
 * Header "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
 * rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec" and one line of values.
 */
export function parseConsumerPerformance(stdout: string): Omit<ConsumerPerfResult, 'raw'> {
  const lines = stdout.trim().split('\n').map((l) => l.trim());
  const headerIndex = lines.findIndex((l) => l.startsWith('start.time'));
  if (headerIndex < 0 || headerIndex + 1 >= lines.length) throw new Error(`no stats in ConsumerPerformance output:\n${stdout.slice(-2_000)}`);
  const header = lines[headerIndex].split(',').map((h) => h.trim());
  const values = lines[headerIndex + 1].split(',').map((v) => v.trim());
  const field = (name: string) => Number(values[header.indexOf(name)]);
  return {
    messages: field('data.consumed.in.nMsg'),
    messagesPerSecond: field('nMsg.sec'),
    fetchMessagesPerSecond: field('fetch.nMsg.sec'),
    mbPerSecond: field('fetch.MB.sec'),
    rebalanceMs: field('rebalance.time.ms'),
  };
}

async function producerPerformance(stack: BenchStack, topic: string, records: number, recordSize: number): Promise<ProducerPerfResult> {
  await stack.ensureTopic(topic);
  const result = await runKafkaTool(
    KAFKA_TOOL_CLASSES.producerPerformance,
    ['--topic', topic, '--num-records', String(records), '--record-size', String(recordSize), '--throughput', '-1', '--producer-props', `bootstrap.servers=${stack.kafkaBrokers}`, 'acks=all'],
    { heapMb: 512, timeoutMs: 600_000 },
  );
  if (result.code !== 0) throw new Error(`ProducerPerformance exited ${result.code}: ${result.stderr.slice(-2_000)}`);
  return { records, recordSize, ...parseProducerPerformance(result.stdout), raw: result.stdout.trim().split('\n').slice(-1)[0] };
}

async function consumerPerformance(stack: BenchStack, topic: string, messages: number): Promise<ConsumerPerfResult> {
  const result = await runKafkaTool(
    KAFKA_TOOL_CLASSES.consumerPerformance,
    ['--bootstrap-server', stack.kafkaBrokers, '--topic', topic, '--messages', String(messages), '--group', stack.groupFor('consumer-perf'), '--timeout', '60000'],
    { heapMb: 512, timeoutMs: 600_000 },
  );
  if (result.code !== 0) throw new Error(`ConsumerPerformance exited ${result.code}: ${result.stderr.slice(-2_000)}`);
  return { ...parseConsumerPerformance(result.stdout), raw: result.stdout.trim() };
}

// ---------------------------------------------------------------------------------------------------
// Raw PostgreSQL: what POST /orders writes, without Nest, TypeORM or HTTP

/**
 * The statements of one order's transaction as TypeORM sends them for PlaceOrderUseCase (insertOrder
 * + appendToOutbox): orders, order_lines, order_status_history (RETURNING its id), outbox (RETURNING
 * id and created_at), pg_notify, in one transaction, over the same orders tables.
 */
export const ORDER_TRANSACTION = [
  `INSERT INTO "orders"("id", "customer_id", "status", "status_reason", "shipping_address", "created_at", "updated_at", "idempotency_key", "request_hash") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
  `INSERT INTO "order_lines"("order_id", "line_no", "sku", "quantity") VALUES ($1, $2, $3, $4)`,
  `INSERT INTO "order_status_history"("order_id", "from_status", "to_status", "cause", "changed_at") VALUES ($1, $2, $3, $4, $5) RETURNING "id"`,
  `INSERT INTO "outbox"("event_id", "topic", "message_key", "event_type", "payload", "headers", "created_at", "published_at") VALUES ($1, $2, $3, $4, $5, $6, DEFAULT, $7) RETURNING "id", "created_at"`,
  `SELECT pg_notify($1, current_schema())`,
];

async function pgOrderInsertRate(stack: BenchStack, schema: string, clients: number, seconds: number): Promise<PgBaselineResult> {
  const factory = new OrderEventFactory();
  const connections = await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = new Client({ connectionString: stack.databaseUrl, options: `-c search_path=${schema}`, application_name: 'relay-bench-pg' });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    }),
  );
  let transactions = 0;
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  try {
    await Promise.all(
      connections.map(async (client, worker) => {
        for (let i = worker; Date.now() < deadline; i += clients) {
          const message = factory.message(i);
          const envelope = JSON.parse(message.value as string) as { eventId: string; data: { orderId: string; customerId: string; items: Array<{ sku: string; quantity: number }> } };
          const orderId = envelope.data.orderId;
          const now = new Date();
          await client.query('START TRANSACTION');
          await client.query(ORDER_TRANSACTION[0], [orderId, envelope.data.customerId, 'PENDING', null, null, now, now, null, null]);
          await client.query(ORDER_TRANSACTION[1], [orderId, 1, envelope.data.items[0].sku, 1]);
          await client.query(ORDER_TRANSACTION[2], [orderId, null, 'PENDING', 'order.placed.v1', now]);
          await client.query(ORDER_TRANSACTION[3], [envelope.eventId, Topics.orderEvents, orderId, 'order.placed.v1', message.value, JSON.stringify(message.headers), null]);
          await client.query(ORDER_TRANSACTION[4], ['relay_outbox']);
          await client.query('COMMIT');
          transactions++;
        }
      }),
    );
  } finally {
    await Promise.all(connections.map((client) => client.end().catch(() => undefined)));
  }
  const elapsed = (Date.now() - started) / 1000;
  return { clients, seconds: round(elapsed, 1), transactions, transactionsPerSecond: round(transactions / elapsed, 1), statements: ORDER_TRANSACTION };
}

// ---------------------------------------------------------------------------------------------------
// Raw kafkajs

async function kafkajsProducer(kafka: Kafka, topic: string, records: number, shape: { label: string; batchSize: number; inFlight: number; idempotent: boolean }): Promise<KafkajsProducerResult> {
  const factory = new OrderEventFactory();
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: shape.idempotent,
    ...(shape.idempotent ? { maxInFlightRequests: 1 } : {}),
  });
  await producer.connect();
  let next = 0;
  const started = Date.now();
  try {
    await Promise.all(
      Array.from({ length: shape.inFlight }, async () => {
        while (next < records) {
          const from = next;
          const size = Math.min(shape.batchSize, records - from);
          next += size;
          await producer.send({ topic, acks: -1, messages: Array.from({ length: size }, (_, k) => factory.message(from + k)) });
        }
      }),
    );
  } finally {
    await producer.disconnect();
  }
  const seconds = (Date.now() - started) / 1000;
  return { label: shape.label, records, recordsPerSecond: round(records / seconds, 1), batchSize: shape.batchSize, inFlight: shape.inFlight };
}

/**
 * Counts what a baseline consumer has finished with, from the start of its topic: `finished`
 * resolves once `target` messages are done; the rate runs from the first message to the last (the
 * group join is reported apart).
 */
class ConsumeTally {
  private readonly started = Date.now();
  private first = 0;
  private last = 0;
  private taken = 0;
  private count = 0;
  private settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private readonly finished = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));

  constructor(
    readonly target: number,
    private readonly what: string,
  ) {}

  /** The part of a fetched batch still needed to reach the target; the first one starts the clock. */
  take<T>(messages: T[]): T[] {
    const run = messages.slice(0, Math.max(0, this.target - this.taken));
    this.taken += run.length;
    if (run.length > 0 && this.first === 0) this.first = Date.now();
    return run;
  }

  done(messages: number): void {
    this.count += messages;
    if (this.count >= this.target && this.last === 0) {
      this.last = Date.now();
      this.settle!.resolve();
    }
  }

  failed(error: Error): void {
    this.settle!.reject(error);
  }

  /** Waits for the target, at most 10 minutes. */
  async wait(): Promise<void> {
    const timeout = sleep(600_000).then(() => {
      throw new Error(`${this.what}: ${this.count} of ${this.target} messages in 10 minutes`);
    });
    await Promise.race([this.finished, timeout]);
  }

  get messagesPerSecond(): number {
    return round(this.target / Math.max(0.001, (this.last - this.first) / 1000), 1);
  }

  get joinSeconds(): number {
    return round((this.first - this.started) / 1000, 2);
  }
}

async function kafkajsConsumer(kafka: Kafka, topic: string, messages: number): Promise<KafkajsConsumerResult> {
  const consumer = kafka.consumer({ groupId: `relay-bench-kafkajs-${randomUUID()}`, maxBytesPerPartition: 1_048_576 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const tally = new ConsumeTally(messages, 'kafkajs consumer');
  try {
    await consumer.run({
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, resolveOffset }) => {
        const run = tally.take(batch.messages);
        if (run.length === 0) return;
        for (const message of run) {
          JSON.parse(message.value!.toString());
          resolveOffset(message.offset);
        }
        tally.done(run.length);
      },
    });
    await tally.wait();
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return { messages, messagesPerSecond: tally.messagesPerSecond, joinSeconds: tally.joinSeconds };
}

// ---------------------------------------------------------------------------------------------------
// Raw kafkajs consumer + PostgreSQL effect: inventory's catch-up work, without Nest, TypeORM or zod

/**
 * What inventory writes per run of order-placed events (see ReserveStockUseCase and claimEvents),
 * over the same tables, as plain SQL on a plain pg pool: the processed-events records, the stock
 * rows locked in SKU order and updated, the reservations, and a stock-reserved outbox row each.
 * No relay publishes those rows: this is the floor for the consumer side alone.
 */
export const EFFECT_TRANSACTION = [
  `INSERT INTO processed_events (consumer_group, event_id, event_type, topic, partition, kafka_offset)
   SELECT $1, event_id, 'order.placed.v1', $2, $3, kafka_offset FROM unnest($4::uuid[], $5::bigint[]) AS claimed(event_id, kafka_offset)
   ON CONFLICT (consumer_group, event_id) DO NOTHING RETURNING event_id`,
  `SELECT sku, on_hand, reserved FROM stock_items WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
  `UPDATE stock_items AS item SET reserved = item.reserved + taken.quantity, updated_at = now()
   FROM unnest($1::text[], $2::int[]) AS taken(sku, quantity) WHERE item.sku = taken.sku`,
  `INSERT INTO reservations (order_id, status, lines) SELECT order_id, 'RESERVED', lines FROM unnest($1::uuid[], $2::jsonb[]) AS made(order_id, lines)`,
  `INSERT INTO outbox (event_id, topic, message_key, event_type, payload, headers)
   SELECT event_id, $1, message_key, 'stock.reserved.v1', payload, headers FROM unnest($2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[]) AS raised(event_id, message_key, payload, headers)`,
];

interface PlacedEnvelope {
  eventId: string;
  correlationId: string;
  data: { orderId: string; items: Array<{ sku: string; quantity: number }> };
}

async function kafkajsConsumerWithEffect(stack: BenchStack, topic: string, messages: number, partitionsAtOnce: number): Promise<KafkajsEffectConsumerResult> {
  // The schema inventory's migrations make, with the bench's stock; nothing reads its group.
  const schema = stack.schemaFor('raw_effect');
  await prepareInventorySchemas(stack, [{ schema, group: stack.groupFor('raw-effect-seed'), label: 'inventory-raw-effect' }], topic);
  const pool = new Pool({ connectionString: stack.databaseUrl, options: `-c search_path=${schema}`, application_name: 'relay-bench-raw-effect', max: partitionsAtOnce });
  pool.on('error', () => undefined);
  const groupId = `relay-bench-raw-effect-${randomUUID()}`;
  const consumer = stack.kafka.consumer({ groupId, maxBytesPerPartition: 262_144, maxBytes: 2_097_152 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const tally = new ConsumeTally(messages, 'kafkajs consumer with effect');
  let transactions = 0;
  try {
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: partitionsAtOnce,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        const run = tally.take(batch.messages);
        if (run.length === 0) return;
        const events = run.map((message) => JSON.parse(message.value!.toString()) as PlacedEnvelope);
        const quantities = new Map<string, number>();
        for (const event of events) for (const item of event.data.items) quantities.set(item.sku, (quantities.get(item.sku) ?? 0) + item.quantity);
        const skus = [...quantities.keys()].sort();
        const at = new Date().toISOString();
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query(EFFECT_TRANSACTION[0], [groupId, batch.topic, batch.partition, events.map((event) => event.eventId), run.map((message) => message.offset)]);
          await client.query(EFFECT_TRANSACTION[1], [skus]);
          await client.query(EFFECT_TRANSACTION[2], [skus, skus.map((sku) => quantities.get(sku))]);
          await client.query(EFFECT_TRANSACTION[3], [events.map((event) => event.data.orderId), events.map((event) => JSON.stringify(event.data.items))]);
          const raised = events.map((event) => ({
            eventId: randomUUID(),
            type: 'stock.reserved',
            version: 1,
            occurredAt: at,
            correlationId: event.correlationId,
            causationId: event.eventId,
            producer: 'inventory',
            data: { orderId: event.data.orderId, lines: event.data.items },
          }));
          await client.query(EFFECT_TRANSACTION[4], [
            'relay.inventory.v1',
            raised.map((event) => event.eventId),
            raised.map((event) => event.data.orderId),
            raised.map((event) => JSON.stringify(event)),
            raised.map((event) => JSON.stringify({ 'x-correlation-id': event.correlationId, 'x-event-type': 'stock.reserved.v1' })),
          ]);
          await client.query('COMMIT');
          transactions++;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          tally.failed(error as Error);
          throw error;
        } finally {
          client.release();
        }
        const lastOffset = run[run.length - 1].offset;
        resolveOffset(lastOffset);
        await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }] }] });
        tally.done(run.length);
      },
    });
    await tally.wait();
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end().catch(() => undefined);
  }
  return {
    messages,
    messagesPerSecond: tally.messagesPerSecond,
    transactions,
    joinSeconds: tally.joinSeconds,
    statements: EFFECT_TRANSACTION.map((statement) => statement.replace(/\s+/g, ' ')),
  };
}

// ---------------------------------------------------------------------------------------------------

const failure = (error: unknown) => ({ error: error instanceof Error ? error.message.split('\n')[0] : String(error) });

/**
 * Baselines on the same machine in the same run: what Kafka, PostgreSQL and kafkajs do without Relay.
 * Run with no service up (the effect baseline's schema is made by an inventory instance that stops
 * first), one at a time.
 */
export async function runBaselines(stack: BenchStack, plan: BenchPlan, ordersSchema: string): Promise<BaselineResults> {
  const recordBytes = new OrderEventFactory().valueBytes;
  const consumerTopic = Topics.orderEvents;
  const consumeCount = Math.min(plan.catchupEvents, await stack.topicSize(consumerTopic));

  progress.step('PostgreSQL', `order + outbox transactions with ${plan.pgBaselineClients} clients for ${plan.pgBaselineSeconds} s`);
  const pgOrderInsert = await pgOrderInsertRate(stack, ordersSchema, plan.pgBaselineClients, plan.pgBaselineSeconds).catch(failure);
  if ('transactionsPerSecond' in pgOrderInsert) progress.step('PostgreSQL', `${pgOrderInsert.transactionsPerSecond} transactions/s`);

  progress.step('ProducerPerformance', `${plan.producerPerfRecords} records of ${recordBytes} B, acks=all`);
  const producerPerf = await producerPerformance(stack, stack.groupFor('producer-perf'), plan.producerPerfRecords, recordBytes).catch(failure);
  if ('recordsPerSecond' in producerPerf) progress.step('ProducerPerformance', `${producerPerf.recordsPerSecond} records/s`);

  progress.step('ConsumerPerformance', `${consumeCount} messages of ${consumerTopic}`);
  const consumerPerf = await consumerPerformance(stack, consumerTopic, consumeCount).catch(failure);
  if ('fetchMessagesPerSecond' in consumerPerf) progress.step('ConsumerPerformance', `${consumerPerf.fetchMessagesPerSecond} messages/s while fetching (${consumerPerf.messagesPerSecond}/s with join)`);

  const kafkajsTopic = stack.groupFor('kafkajs-producer');
  await stack.ensureTopic(kafkajsTopic);
  const kafkajsProducers: BaselineResults['kafkajsProducer'] = [];
  for (const shape of [
    { label: 'outbox relay pattern: idempotent, 500/batch, 1 in flight', batchSize: 500, inFlight: 1, idempotent: true },
    { label: '1000/batch, 8 in flight', batchSize: 1_000, inFlight: 8, idempotent: false },
  ]) {
    progress.step('kafkajs producer', `${plan.catchupEvents} records, ${shape.label}`);
    const result = await kafkajsProducer(stack.kafka, kafkajsTopic, plan.catchupEvents, shape).catch((error: unknown) => ({ label: shape.label, ...failure(error) }));
    if ('recordsPerSecond' in result) progress.step('kafkajs producer', `${result.recordsPerSecond} records/s`);
    kafkajsProducers.push(result);
  }

  progress.step('kafkajs consumer', `${consumeCount} messages of ${consumerTopic}`);
  const kafkajsConsumerResult = await kafkajsConsumer(stack.kafka, consumerTopic, consumeCount).catch(failure);
  if ('messagesPerSecond' in kafkajsConsumerResult) progress.step('kafkajs consumer', `${kafkajsConsumerResult.messagesPerSecond} messages/s`);

  progress.step('kafkajs consumer + PostgreSQL effect', `${consumeCount} messages of ${consumerTopic}, inventory's writes in one transaction per fetched run`);
  const kafkajsEffectConsumer = await kafkajsConsumerWithEffect(stack, consumerTopic, consumeCount, 6).catch(failure);
  if ('messagesPerSecond' in kafkajsEffectConsumer) progress.step('kafkajs consumer + PostgreSQL effect', `${kafkajsEffectConsumer.messagesPerSecond} messages/s`);

  return {
    recordBytes,
    kafkajsEffectConsumer,
    producerPerformance: producerPerf,
    consumerPerformance: consumerPerf,
    pgOrderInsert,
    kafkajsProducer: kafkajsProducers,
    kafkajsConsumer: kafkajsConsumerResult,
  };
}
