import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { Client } from 'pg';
import { anOrderPlacedV1, Topics } from '@relay/contracts';
import { AppProcess, buildApps, findFreePort, REPO_ROOT, runCommand, ServiceName, SERVICES, startAppProcess } from '@relay/local-stack';
import { integrationEnv, uniqueName, waitFor } from '@relay/testing';
import { AuditReport, gapExamples, listDeadLetters, purgeDeadLetters, replayDeadLetters, runAudit, showDeadLetter } from './index';

/**
 * The ops tools against the real thing: the three built apps as processes on their own schemas
 * and consumer groups, real Kafka and PostgreSQL. The topic is shared with every other test of
 * the run, so the audit runs with `sharedTopic` and DLQ assertions look for this test's records.
 */
const { kafkaBrokers, databaseUrl } = integrationEnv();
const schemas = { orders: uniqueName('ops_orders'), inventory: uniqueName('ops_inventory'), delivery: uniqueName('ops_delivery') };
const groups: Record<ServiceName, string> = { orders: uniqueName('ops_orders'), inventory: uniqueName('ops_inventory'), delivery: uniqueName('ops_delivery') };
const SKU = 'SKU-1';

const auditOptions = { kafkaBrokers, databaseUrl, ordersSchema: schemas.orders, inventory: { schema: schemas.inventory, group: groups.inventory }, delivery: { schema: schemas.delivery, group: groups.delivery }, sharedTopic: true };

const apps = new Map<ServiceName, AppProcess>();
let db: Client;
let producer: Producer;
let workDir: string;
const placed: string[] = [];

const url = (service: ServiceName, route: string) => `${apps.get(service)!.url}${route}`;

async function http<T>(service: ServiceName, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(url(service, route), { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} on ${service}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

const counters = async () => (await http<{ counters: { applied: number; duplicates: number } }>('inventory', 'GET', '/consumer')).counters;

async function rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.query(sql, params)).rows as T[];
}

const q = (schema: string, table: string) => `"${schema}"."${table}"`;

/** Puts back rows saved with row_to_json (exact column types, dates included). */
async function restore(table: string, saved: unknown[]): Promise<void> {
  for (const row of saved) await db.query(`INSERT INTO ${table} SELECT * FROM json_populate_record(NULL::${table}, $1)`, [JSON.stringify(row)]);
}

/** Runs the CLI as a process (tsx), with this stack's Kafka and PostgreSQL. */
async function ops(args: string[]) {
  return runCommand(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(REPO_ROOT, 'tools/ops/src/main.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokers.join(','), DATABASE_URL: databaseUrl },
    timeoutMs: 120_000,
  });
}

const auditFlags = [
  '--orders-schema', schemas.orders,
  '--inventory-schema', schemas.inventory,
  '--delivery-schema', schemas.delivery,
  '--groups', `${groups.inventory},${groups.delivery}`,
  '--shared-topic',
];

/** The group has consumed `partition` of `topic` past `offset`. */
async function consumedPast(group: string, topic: string, partition: number, offset: string): Promise<boolean> {
  const kafka = new Kafka({ brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const committed = entry?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
    return BigInt(committed) > BigInt(offset);
  } finally {
    await admin.disconnect();
  }
}

function describeGaps(report: AuditReport): string {
  return JSON.stringify(report.checks.filter((check) => !check.ok).map((check) => ({ id: check.id, gaps: check.gaps })), null, 1);
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'relay-ops-test-'));
  db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const kafka = new Kafka({ brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await buildApps();
  const env = { KAFKA_BROKERS: kafkaBrokers.join(','), DATABASE_URL: databaseUrl };
  await Promise.all(
    SERVICES.map(async (service) => {
      const app = await startAppProcess({ service, port: await findFreePort(), env: { ...env, DATABASE_SCHEMA: schemas[service], KAFKA_GROUP_ID: groups[service] } });
      apps.set(service, app);
    }),
  );
  await http('inventory', 'PUT', `/stock/${SKU}`, { onHand: 100 });
  for (let i = 0; i < 3; i++) {
    const order = await http<{ id: string }>('orders', 'POST', '/orders', { customerId: `ops-${i}`, items: [{ sku: SKU, quantity: 1 }] });
    placed.push(order.id);
  }
  await waitFor(
    async () => {
      const reservations = await rows(`SELECT 1 FROM ${q(schemas.inventory, 'reservations')} WHERE order_id = ANY($1::uuid[])`, [placed]);
      const deliveries = await rows(`SELECT 1 FROM ${q(schemas.delivery, 'deliveries')} WHERE order_id = ANY($1::uuid[])`, [placed]);
      return reservations.length === placed.length && deliveries.length === placed.length;
    },
    { timeoutMs: 90_000, intervalMs: 250, description: 'the placed orders to be reserved and their deliveries prepared' },
  );
}, 300_000);

afterAll(async () => {
  await Promise.all([...apps.values()].map((app) => app.stop().catch(() => undefined)));
  await producer?.disconnect().catch(() => undefined);
  for (const schema of Object.values(schemas)) await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await db?.end().catch(() => undefined);
  if (workDir) await rm(workDir, { recursive: true, force: true });
}, 60_000);

describe('audit', () => {
  jest.setTimeout(120_000);

  it('passes on a healthy system, as a function and through the CLI (exit 0)', async () => {
    const report = await runAudit(auditOptions);
    if (!report.ok) throw new Error(`audit found gaps on a healthy system: ${describeGaps(report)}`);
    const inventory = report.checks.find((check) => check.id === 'inventory')!;
    expect(inventory.counts).toMatchObject({ orders: 3, applied: 3 });
    expect(report.checks.find((check) => check.id === 'topic')!.counts.placedEvents).toBeGreaterThanOrEqual(3);

    const cli = await ops(['audit', ...auditFlags]);
    expect({ code: cli.code, stderr: cli.stderr.includes('error') ? cli.stderr : '' }).toEqual({ code: 0, stderr: '' });
    expect(cli.stdout).toContain('Verdict: OK');
  });

  it('reports an order whose delivery row was deleted as not applied by the delivery group (exit 1)', async () => {
    const orderId = placed[0];
    const deliveries = q(schemas.delivery, 'deliveries');
    const saved = await rows<{ row: unknown }>(`DELETE FROM ${deliveries} d WHERE order_id = $1 RETURNING row_to_json(d) AS row`, [orderId]);
    try {
      const report = await runAudit(auditOptions);
      expect(report.ok).toBe(false);
      expect(gapExamples(report, 'delivery', 'effect-missing')).toEqual([expect.objectContaining({ orderId })]);
      expect(report.checks.find((check) => check.id === 'inventory')!.ok).toBe(true);

      const cli = await ops(['audit', ...auditFlags, '--json']);
      expect(cli.code).toBe(1);
      const json = JSON.parse(cli.stdout) as AuditReport;
      expect(gapExamples(json, 'delivery', 'effect-missing')).toEqual([expect.objectContaining({ orderId })]);
    } finally {
      await restore(deliveries, saved.map((entry) => entry.row));
    }
    expect((await runAudit(auditOptions)).ok).toBe(true);
  });

  it('reports an order stored without its outbox event', async () => {
    const orderId = randomUUID();
    await db.query(`INSERT INTO ${q(schemas.orders, 'orders')} (id, customer_id, status, created_at, updated_at) VALUES ($1, 'ghost', 'PENDING', now(), now())`, [orderId]);
    try {
      const report = await runAudit(auditOptions);
      expect(report.ok).toBe(false);
      expect(gapExamples(report, 'outbox', 'missing-event')).toEqual([expect.objectContaining({ orderId })]);
    } finally {
      await db.query(`DELETE FROM ${q(schemas.orders, 'orders')} WHERE id = $1`, [orderId]);
    }
  });

  it('reports the event and the effects of an order that no longer exists', async () => {
    const orderId = placed[2];
    const saved: [string, unknown[]][] = [];
    for (const [table, column] of [['orders', 'id'], ['order_lines', 'order_id'], ['order_status_history', 'order_id']]) {
      const found = await rows<{ row: unknown }>(`SELECT row_to_json(t) AS row FROM ${q(schemas.orders, table)} t WHERE ${column} = $1`, [orderId]);
      saved.push([q(schemas.orders, table), found.map((entry) => entry.row)]);
    }
    await db.query(`DELETE FROM ${q(schemas.orders, 'orders')} WHERE id = $1`, [orderId]);
    try {
      const report = await runAudit(auditOptions);
      expect(report.ok).toBe(false);
      expect(gapExamples(report, 'outbox', 'orphan-event')).toEqual([expect.objectContaining({ orderId })]);
      expect(gapExamples(report, 'topic', 'orphan-event')).toEqual([expect.objectContaining({ orderId })]);
      expect(gapExamples(report, 'inventory', 'orphan-effect')).toEqual([expect.objectContaining({ orderId })]);
      expect(gapExamples(report, 'delivery', 'orphan-effect')).toEqual([expect.objectContaining({ orderId })]);
    } finally {
      for (const [table, entries] of saved) await restore(table, entries);
    }
    expect((await runAudit(auditOptions)).ok).toBe(true);
  });
});

describe('dead letters', () => {
  jest.setTimeout(180_000);
  const dlq = { kafkaBrokers, group: groups.inventory };

  it('lists a poison message parked by the inventory group, and shows it in full', async () => {
    const key = `poison-${randomUUID()}`;
    await producer.send({ topic: Topics.orderEvents, acks: -1, messages: [{ key, value: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]), headers: { 'x-test': 'poison' } }] });
    const parked = await waitFor(async () => (await listDeadLetters(dlq)).records.find((record) => record.key === key), {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: 'the poison message on the inventory dead-letter topic',
    });
    expect(parked).toMatchObject({ errorClass: 'PoisonMessage:not-json', attempts: 1, decodes: false, eventId: null, consumerGroup: groups.inventory });
    expect(parked.original).toMatchObject({ topic: Topics.orderEvents });

    const shown = await showDeadLetter({ ...dlq, position: parked });
    expect(shown.headers).toMatchObject({ 'x-test': 'poison', 'x-dlq-error-class': 'PoisonMessage:not-json' });
    expect(shown.value).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]));

    const cli = await ops(['dlq', 'show', '--group', groups.inventory, `${parked.partition}:${parked.offset}`]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('deadbeef00');
    const refused = await ops(['dlq', 'replay', '--group', groups.inventory, `${parked.partition}:${parked.offset}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('does not decode');
  });

  it('replays a fixed value for a parked event once: applied, then a duplicate; the audit passes; purge empties the DLQ', async () => {
    // An order stored with its event, whose published copy was corrupted on the way (data.orderId).
    const orderId = randomUUID();
    const event = anOrderPlacedV1({ orderId, customerId: 'ops-fixed', items: [{ sku: SKU, quantity: 1 }] }, { producer: 'orders' });
    await db.query('BEGIN');
    await db.query(`INSERT INTO ${q(schemas.orders, 'orders')} (id, customer_id, status, created_at, updated_at) VALUES ($1, 'ops-fixed', 'PENDING', now(), now())`, [orderId]);
    await db.query(`INSERT INTO ${q(schemas.orders, 'order_lines')} (order_id, line_no, sku, quantity) VALUES ($1, 1, $2, 1)`, [orderId, SKU]);
    await db.query(`INSERT INTO ${q(schemas.orders, 'order_status_history')} (order_id, from_status, to_status, cause, changed_at) VALUES ($1, NULL, 'PENDING', 'order.placed.v1', now())`, [orderId]);
    await db.query(
      `INSERT INTO ${q(schemas.orders, 'outbox')} (event_id, topic, message_key, event_type, payload, published_at) VALUES ($1, $2, $3, 'order.placed.v1', $4, now())`,
      [event.eventId, Topics.orderEvents, orderId, JSON.stringify(event)],
    );
    await db.query('COMMIT');
    const broken = { ...event, data: { ...event.data, orderId: 'nope' } };
    await producer.send({ topic: Topics.orderEvents, acks: -1, messages: [{ key: orderId, value: JSON.stringify(broken) }] });

    const parked = await waitFor(async () => (await listDeadLetters(dlq)).records.find((record) => record.key === orderId), {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: 'the broken event on the inventory dead-letter topic',
    });
    expect(parked).toMatchObject({ errorClass: 'PoisonMessage:bad-data', eventId: event.eventId, eventType: 'order.placed.v1', decodes: false });
    const position = `${parked.partition}:${parked.offset}`;

    // A fixed value that is not a valid event is refused; so is one for another key.
    const invalidFile = path.join(workDir, 'invalid.json');
    await writeFile(invalidFile, JSON.stringify(broken));
    const invalid = await ops(['dlq', 'replay', '--group', groups.inventory, position, '--value-file', invalidFile]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('not a valid event');
    await expect(replayDeadLetters({ ...dlq, positions: [parked], value: JSON.stringify(anOrderPlacedV1()) })).rejects.toThrow(/belongs under key/);

    const before = await counters();
    const fixedFile = path.join(workDir, 'fixed.json');
    await writeFile(fixedFile, JSON.stringify(event));
    const replay = await ops(['dlq', 'replay', '--group', groups.inventory, position, '--value-file', fixedFile, '--json']);
    expect(replay.code).toBe(0);
    const first = JSON.parse(replay.stdout) as { replayed: { to: { topic: string; partition: number; offset: string }; eventId: string }[] };
    expect(first.replayed).toEqual([expect.objectContaining({ eventId: event.eventId, to: expect.objectContaining({ topic: Topics.orderEvents }) })]);
    await waitFor(() => consumedPast(groups.inventory, Topics.orderEvents, first.replayed[0].to.partition, first.replayed[0].to.offset), {
      timeoutMs: 60_000,
      intervalMs: 250,
      description: 'inventory to consume the replayed event',
    });
    expect(await rows(`SELECT status FROM ${q(schemas.inventory, 'reservations')} WHERE order_id = $1`, [orderId])).toEqual([{ status: 'RESERVED' }]);
    expect((await counters()).applied).toBeGreaterThan(before.applied);

    // The same fixed value again: recognised by eventId, no second effect.
    const again = await replayDeadLetters({ ...dlq, positions: [parked], value: JSON.stringify(event) });
    const to = again.replayed[0].to!;
    await waitFor(() => consumedPast(groups.inventory, Topics.orderEvents, to.partition, to.offset), { timeoutMs: 60_000, intervalMs: 250, description: 'inventory to consume the second replay' });
    expect((await counters()).duplicates).toBeGreaterThan(before.duplicates);
    expect(await rows(`SELECT 1 FROM ${q(schemas.inventory, 'reservations')} WHERE order_id = $1`, [orderId])).toHaveLength(1);
    expect(await rows(`SELECT 1 FROM ${q(schemas.inventory, 'processed_events')} WHERE consumer_group = $1 AND event_id = $2`, [groups.inventory, event.eventId])).toHaveLength(1);

    // Delivery consumed the replay too (consumers share the topic); then everything reconciles.
    await waitFor(async () => (await rows(`SELECT 1 FROM ${q(schemas.delivery, 'deliveries')} WHERE order_id = $1`, [orderId])).length === 1, {
      timeoutMs: 60_000,
      description: 'delivery to apply the replayed event',
    });
    const report = await runAudit(auditOptions);
    if (!report.ok) throw new Error(`audit after the replay found gaps: ${describeGaps(report)}`);
    expect(report.checks.find((check) => check.id === 'topic')!.notes.map((note) => note.kind)).toEqual(expect.arrayContaining(['duplicates', 'undecodable']));

    const purged = await purgeDeadLetters(dlq);
    expect(purged.deleted).toBeGreaterThanOrEqual(2);
    const after = await listDeadLetters(dlq);
    expect(after.records.filter((record) => record.key === orderId || record.key?.startsWith('poison-'))).toEqual([]);
  });
});
