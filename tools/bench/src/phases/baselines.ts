import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners } from 'kafkajs';
import { Client, Pool } from 'pg';
import { EventEnvelope, Topics } from '@relay/contracts';
import { KAFKA_TOOL_CLASSES, runKafkaTool } from '@relay/local-stack';
import { DEFAULT_CONSUMER_FETCH, encodeWalOutboxContent, OUTBOX_NOTIFY_CHANNEL, RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER, WAL_OUTBOX_APPEND, WAL_OUTBOX_PREFIX } from '@relay/messaging';
import { OrderEventFactory } from '../events';
import { prepareInventorySchemas } from './catch-up';
import { BenchPlan } from '../options';
import { progress } from '../progress';
import { BenchStack } from '../stack';
import { round } from '../stats';
import { ConsumeTally } from './consume-tally';
import { sendInFlight } from './send-in-flight';
import { platformaticConnection } from '@relay/messaging';
import { platformaticConsumer, platformaticProducer } from './platformatic-baselines';

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
  outboxStore: OutboxStore;
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

/** How a raw producer baseline sends: records per send, sends in flight at once, idempotent or not. */
export interface ProducerShape {
  label: string;
  batchSize: number;
  inFlight: number;
  idempotent: boolean;
}

/** The shapes every raw producer baseline (kafkajs, @platformatic/kafka) is measured in. */
const PRODUCER_SHAPES: ProducerShape[] = [
  { label: 'outbox relay pattern: idempotent, 500/batch, 1 in flight', batchSize: 500, inFlight: 1, idempotent: true },
  { label: '1000/batch, 8 in flight', batchSize: 1_000, inFlight: 8, idempotent: false },
];

export interface KafkajsConsumerResult {
  messages: number;
  /** From the first message to the last (join excluded). */
  messagesPerSecond: number;
  joinSeconds: number;
}

export interface KafkajsEffectConsumerResult {
  outboxStore: OutboxStore;
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
  /** The kafkajs producer's shapes and consumer's work with @platformatic/kafka (absent from older results). */
  platformaticProducer?: Array<KafkajsProducerResult | { label: string; error: string }>;
  platformaticConsumer?: KafkajsConsumerResult | { error: string };
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
    ['--topic', topic, '--num-records', String(records), '--record-size', String(recordSize), '--throughput', '-1', '--producer-props', `bootstrap.servers=${stack.kafkaBrokers}`, 'acks=all', ...(await stack.kafkaToolConfig('--producer.config'))],
    { heapMb: 512, timeoutMs: 600_000 },
  );
  if (result.code !== 0) throw new Error(`ProducerPerformance exited ${result.code}: ${result.stderr.slice(-2_000)}`);
  return { records, recordSize, ...parseProducerPerformance(result.stdout), raw: result.stdout.trim().split('\n').slice(-1)[0] };
}

async function consumerPerformance(stack: BenchStack, topic: string, messages: number): Promise<ConsumerPerfResult> {
  const result = await runKafkaTool(
    KAFKA_TOOL_CLASSES.consumerPerformance,
    ['--bootstrap-server', stack.kafkaBrokers, '--topic', topic, '--messages', String(messages), '--group', stack.groupFor('consumer-perf'), '--timeout', '60000', ...(await stack.kafkaToolConfig('--consumer.config'))],
    { heapMb: 512, timeoutMs: 600_000 },
  );
  if (result.code !== 0) throw new Error(`ConsumerPerformance exited ${result.code}: ${result.stderr.slice(-2_000)}`);
  return { ...parseConsumerPerformance(result.stdout), raw: result.stdout.trim() };
}

// ---------------------------------------------------------------------------------------------------
// Raw PostgreSQL: what POST /orders writes, without Nest, TypeORM or HTTP

/**
 * Where the services put their events on this PostgreSQL with OUTBOX_STORE=auto (the default): the
 * WAL, as logical decoding messages, where the server decodes its WAL (wal_level = logical, as on
 * the PostgreSQL the bench starts); the outbox table otherwise. The baselines write the same way.
 */
export type OutboxStore = 'wal' | 'table';

async function outboxStoreOf(stack: BenchStack): Promise<OutboxStore> {
  const [{ level }] = (await stack.db.query<{ level: string }>(`SELECT current_setting('wal_level') AS level`)).rows;
  return level === 'logical' ? 'wal' : 'table';
}

/** A WAL outbox message's content, as the WAL writer makes it (route line, then the envelope). */
const walOutboxContent = (event: { eventId: string; topic: string; key: string; type: string; envelope: string; headers: Record<string, string> }): string =>
  encodeWalOutboxContent({ eventId: event.eventId, topic: event.topic, key: event.key, type: event.type, payload: JSON.parse(event.envelope) as EventEnvelope, headers: event.headers });

/** The order's rows, one statement each, as TypeORM sent them for PlaceOrderUseCase (insertOrder). */
const ORDER_ROWS = [
  `INSERT INTO "orders"("id", "customer_id", "status", "status_reason", "shipping_address", "status_history", "created_at", "updated_at", "idempotency_key", "request_hash") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  `INSERT INTO "order_lines"("order_id", "line_no", "sku", "quantity") VALUES ($1, $2, $3, $4)`,
];

/**
 * The statements of one order's transaction, over the same orders tables: its rows, then its
 * order-placed event, either as a WAL outbox message (the relay streams the slot: no NOTIFY) or as an
 * outbox row (RETURNING id and created_at, as TypeORM sent it) and a pg_notify.
 */
export const ORDER_TRANSACTION: Record<OutboxStore, string[]> = {
  wal: [...ORDER_ROWS, WAL_OUTBOX_APPEND],
  table: [
    ...ORDER_ROWS,
    `INSERT INTO "outbox"("event_id", "topic", "message_key", "event_type", "payload", "headers", "created_at", "published_at") VALUES ($1, $2, $3, $4, $5, $6, DEFAULT, $7) RETURNING "id", "created_at"`,
    `SELECT pg_notify($1, current_schema())`,
  ],
};

async function pgOrderInsertRate(stack: BenchStack, schema: string, clients: number, seconds: number, store: OutboxStore): Promise<PgBaselineResult> {
  const factory = new OrderEventFactory();
  const statements = ORDER_TRANSACTION[store];
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
          const history = JSON.stringify([{ from: null, to: 'PENDING', cause: 'order.placed.v1', at: now.toISOString() }]);
          await client.query(statements[0], [orderId, envelope.data.customerId, 'PENDING', null, null, history, now, now, null, null]);
          await client.query(statements[1], [orderId, 1, envelope.data.items[0].sku, 1]);
          if (store === 'wal') {
            const headers = message.headers as Record<string, string>;
            const content = walOutboxContent({ eventId: envelope.eventId, topic: Topics.orderEvents, key: orderId, type: 'order.placed.v1', envelope: message.value as string, headers });
            await client.query(statements[2], [WAL_OUTBOX_PREFIX, JSON.stringify([content])]);
          } else {
            await client.query(statements[2], [envelope.eventId, Topics.orderEvents, orderId, 'order.placed.v1', message.value, JSON.stringify(message.headers), null]);
            await client.query(statements[3], [OUTBOX_NOTIFY_CHANNEL]);
          }
          await client.query('COMMIT');
          transactions++;
        }
      }),
    );
  } finally {
    await Promise.all(connections.map((client) => client.end().catch(() => undefined)));
  }
  const elapsed = (Date.now() - started) / 1000;
  return { outboxStore: store, clients, seconds: round(elapsed, 1), transactions, transactionsPerSecond: round(transactions / elapsed, 1), statements };
}

// ---------------------------------------------------------------------------------------------------
// Raw kafkajs

async function kafkajsProducer(kafka: Kafka, topic: string, records: number, shape: ProducerShape): Promise<KafkajsProducerResult> {
  const factory = new OrderEventFactory();
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: shape.idempotent,
    ...(shape.idempotent ? { maxInFlightRequests: 1 } : {}),
  });
  await producer.connect();
  let seconds: number;
  try {
    seconds = await sendInFlight(records, shape, (from, size) => producer.send({ topic, acks: -1, messages: Array.from({ length: size }, (_, k) => factory.message(from + k)) }));
  } finally {
    await producer.disconnect();
  }
  return { label: shape.label, records, recordsPerSecond: round(records / seconds, 1), batchSize: shape.batchSize, inFlight: shape.inFlight };
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
 * What inventory writes per run of order-placed events (see ReserveStockUseCase and
 * EventDeduplicator), over the same tables, as plain SQL on a plain pg pool: the partition's
 * position locked (created the first time the group meets the partition), the stock rows locked in
 * SKU order and updated, the reservations, a stock-reserved event each (a WAL outbox message, or
 * an outbox row where the server does not decode its WAL), and the position stored: the next offset
 * and each producer's highest sequence. One position row per partition, whatever the number of
 * events. No relay publishes the events: this is the floor for the consumer side alone.
 *
 * Left out: inventory also locks the orders' reservation rows before the stock (lockReservations),
 * and claims events published without a sequence in processed_events (none on a bench topic).
 */
export const EFFECT_STATEMENTS = {
  lockPosition: `SELECT next_offset, producer_sequences FROM consumer_positions WHERE consumer_group = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
  createPosition: `INSERT INTO consumer_positions (consumer_group, topic, partition) VALUES ($1, $2, $3) ON CONFLICT (consumer_group, topic, partition) DO NOTHING`,
  lockStock: `SELECT sku, on_hand, reserved FROM stock_items WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
  updateStock: `UPDATE stock_items AS item SET reserved = item.reserved + taken.quantity, updated_at = now()
   FROM unnest($1::text[], $2::int[]) AS taken(sku, quantity) WHERE item.sku = taken.sku`,
  insertReservations: `INSERT INTO reservations (order_id, status, lines) SELECT order_id, 'RESERVED', lines FROM unnest($1::uuid[], $2::jsonb[]) AS made(order_id, lines)`,
  outboxWal: WAL_OUTBOX_APPEND,
  outboxTable: `INSERT INTO outbox (event_id, topic, message_key, event_type, payload, headers)
   SELECT event_id, $1, message_key, 'stock.reserved.v1', payload, headers FROM unnest($2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[]) AS raised(event_id, message_key, payload, headers)`,
  savePosition: `UPDATE consumer_positions SET next_offset = $4, producer_sequences = $5::json, updated_at = now() WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
};

/** The statements of one run's transaction, in order (createPosition only on a partition's first run). */
export const effectTransaction = (store: OutboxStore): string[] => {
  const s = EFFECT_STATEMENTS;
  return [s.lockPosition, s.createPosition, s.lockStock, s.updateStock, s.insertReservations, store === 'wal' ? s.outboxWal : s.outboxTable, s.savePosition];
};

interface PlacedEnvelope {
  eventId: string;
  correlationId: string;
  data: { orderId: string; items: Array<{ sku: string; quantity: number }> };
}

const headerText = (value: Buffer | string | (Buffer | string)[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value)?.toString();

async function kafkajsConsumerWithEffect(stack: BenchStack, topic: string, messages: number, partitionsAtOnce: number, store: OutboxStore): Promise<KafkajsEffectConsumerResult> {
  // The schema inventory's migrations make, with the bench's stock; nothing reads its group.
  const schema = stack.schemaFor('raw_effect');
  await prepareInventorySchemas(stack, [{ schema, group: stack.groupFor('inventory-raw-effect-seed'), label: 'inventory-raw-effect' }], topic);
  const pool = new Pool({ connectionString: stack.databaseUrl, options: `-c search_path=${schema}`, application_name: 'relay-bench-raw-effect', max: partitionsAtOnce });
  pool.on('error', () => undefined);
  const groupId = `relay-bench-raw-effect-${randomUUID()}`;
  // Fetches the size the services' consumers fetch by default, so the two compare like for like.
  const consumer = stack.kafka.consumer({ groupId, maxBytesPerPartition: DEFAULT_CONSUMER_FETCH.maxBytesPerPartition, maxBytes: DEFAULT_CONSUMER_FETCH.maxBytes });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const tally = new ConsumeTally(messages, 'kafkajs consumer with effect');
  const s = EFFECT_STATEMENTS;
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
        const position = [groupId, batch.topic, batch.partition];
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          let stored = await client.query<{ producer_sequences: Record<string, string> }>(s.lockPosition, position);
          if (stored.rows.length === 0) {
            await client.query(s.createPosition, position);
            stored = await client.query(s.lockPosition, position);
          }
          // Each producer's highest sequence (fixed-width hex: text order is sequence order).
          const sequences = { ...stored.rows[0].producer_sequences };
          for (const message of run) {
            const producer = headerText(message.headers?.[RELAY_PRODUCER_HEADER]);
            const sequence = headerText(message.headers?.[RELAY_SEQUENCE_HEADER]);
            if (producer && sequence && !(sequences[producer] >= sequence)) sequences[producer] = sequence;
          }
          await client.query(s.lockStock, [skus]);
          await client.query(s.updateStock, [skus, skus.map((sku) => quantities.get(sku))]);
          await client.query(s.insertReservations, [events.map((event) => event.data.orderId), events.map((event) => JSON.stringify(event.data.items))]);
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
          const headersOf = (event: (typeof raised)[number]) => ({ 'x-correlation-id': event.correlationId, 'x-event-type': 'stock.reserved.v1' });
          if (store === 'wal') {
            const contents = raised.map((event) =>
              walOutboxContent({ eventId: event.eventId, topic: Topics.inventoryEvents, key: event.data.orderId, type: 'stock.reserved.v1', envelope: JSON.stringify(event), headers: headersOf(event) }),
            );
            await client.query(s.outboxWal, [WAL_OUTBOX_PREFIX, JSON.stringify(contents)]);
          } else {
            await client.query(s.outboxTable, [
              Topics.inventoryEvents,
              raised.map((event) => event.eventId),
              raised.map((event) => event.data.orderId),
              raised.map((event) => JSON.stringify(event)),
              raised.map((event) => JSON.stringify(headersOf(event))),
            ]);
          }
          const nextOffset = (BigInt(run[run.length - 1].offset) + 1n).toString();
          await client.query(s.savePosition, [...position, nextOffset, JSON.stringify(sequences)]);
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
    await pool.end().catch(() => undefined);
    await stack.dropSchema(schema).catch(() => undefined);
  }
  return {
    outboxStore: store,
    messages,
    messagesPerSecond: tally.messagesPerSecond,
    transactions,
    joinSeconds: tally.joinSeconds,
    statements: effectTransaction(store).map((statement) => statement.replace(/\s+/g, ' ')),
  };
}

// ---------------------------------------------------------------------------------------------------

const failure = (error: unknown) => ({ error: error instanceof Error ? error.message.split('\n')[0] : String(error) });

/**
 * Baselines on the same machine in the same run: what Kafka, PostgreSQL, kafkajs and @platformatic/kafka do without Relay.
 * Run with no service up (the effect baseline's schema is made by an inventory instance that stops
 * first), one at a time.
 */
export async function runBaselines(stack: BenchStack, plan: BenchPlan, ordersSchema: string): Promise<BaselineResults> {
  const recordBytes = new OrderEventFactory().valueBytes;
  const consumerTopic = Topics.orderEvents;
  const consumeCount = Math.min(plan.catchupEvents, await stack.topicSize(consumerTopic));
  const store = await outboxStoreOf(stack);

  progress.step('PostgreSQL', `order + outbox (${store}) transactions with ${plan.pgBaselineClients} clients for ${plan.pgBaselineSeconds} s`);
  const pgOrderInsert = await pgOrderInsertRate(stack, ordersSchema, plan.pgBaselineClients, plan.pgBaselineSeconds, store).catch(failure);
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
  for (const shape of PRODUCER_SHAPES) {
    progress.step('kafkajs producer', `${plan.catchupEvents} records, ${shape.label}`);
    const result = await kafkajsProducer(stack.kafka, kafkajsTopic, plan.catchupEvents, shape).catch((error: unknown) => ({ label: shape.label, ...failure(error) }));
    if ('recordsPerSecond' in result) progress.step('kafkajs producer', `${result.recordsPerSecond} records/s`);
    kafkajsProducers.push(result);
  }

  // The same shapes with the other client, to a topic of its own made like kafkajs's.
  const platformatic = platformaticConnection(stack.kafkaBrokers.split(','), stack.kafkaSecurity);
  const platformaticTopic = stack.groupFor('platformatic-producer');
  await stack.ensureTopic(platformaticTopic);
  const platformaticProducers: NonNullable<BaselineResults['platformaticProducer']> = [];
  for (const shape of PRODUCER_SHAPES) {
    progress.step('@platformatic/kafka producer', `${plan.catchupEvents} records, ${shape.label}`);
    const result = await platformaticProducer(platformatic, platformaticTopic, plan.catchupEvents, shape).catch((error: unknown) => ({ label: shape.label, ...failure(error) }));
    if ('recordsPerSecond' in result) progress.step('@platformatic/kafka producer', `${result.recordsPerSecond} records/s`);
    platformaticProducers.push(result);
  }

  progress.step('kafkajs consumer', `${consumeCount} messages of ${consumerTopic}`);
  const kafkajsConsumerResult = await kafkajsConsumer(stack.kafka, consumerTopic, consumeCount).catch(failure);
  if ('messagesPerSecond' in kafkajsConsumerResult) progress.step('kafkajs consumer', `${kafkajsConsumerResult.messagesPerSecond} messages/s`);

  progress.step('@platformatic/kafka consumer', `${consumeCount} messages of ${consumerTopic}`);
  const platformaticConsumerResult = await platformaticConsumer(platformatic, consumerTopic, consumeCount).catch(failure);
  if ('messagesPerSecond' in platformaticConsumerResult) progress.step('@platformatic/kafka consumer', `${platformaticConsumerResult.messagesPerSecond} messages/s`);

  progress.step('kafkajs consumer + PostgreSQL effect', `${consumeCount} messages of ${consumerTopic}, inventory's writes (outbox: ${store}) in one transaction per fetched run`);
  const kafkajsEffectConsumer = await kafkajsConsumerWithEffect(stack, consumerTopic, consumeCount, 6, store).catch(failure);
  if ('messagesPerSecond' in kafkajsEffectConsumer) progress.step('kafkajs consumer + PostgreSQL effect', `${kafkajsEffectConsumer.messagesPerSecond} messages/s`);

  return {
    recordBytes,
    kafkajsEffectConsumer,
    producerPerformance: producerPerf,
    consumerPerformance: consumerPerf,
    pgOrderInsert,
    kafkajsProducer: kafkajsProducers,
    kafkajsConsumer: kafkajsConsumerResult,
    platformaticProducer: platformaticProducers,
    platformaticConsumer: platformaticConsumerResult,
  };
}
