import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { Client } from 'pg';
import { anOrderPlacedV1, deadLetterTopicFor, decodeEvent, Topics } from '@relay/contracts';
import { DeadLetterHeaders, peekWalOutbox, WalOutboxSlotInUseError, walOutboxSlotName } from '@relay/messaging';
import { AppProcess, authEnvFor, buildApps, ensureSigningKey, findFreePort, mintToken, REPO_ROOT, runCommand, ServiceName, SERVICES, SigningKey, startAppProcess } from '@relay/local-stack';
import { integrationEnv, uniqueName, waitFor } from '@relay/testing';
import { scanTopic, topicOffsets, withAdmin } from './kafka';
import { AuditReport, gapExamples, groupsLag, listDeadLetters, noteExamples, orderStory, purgeDeadLetters, replayDeadLetters, runAudit, showDeadLetter, OpsError } from './index';

/**
 * The ops tools against the real thing: the three built apps as processes on their own schemas
 * and consumer groups, real Kafka and PostgreSQL. The topic is shared with every other test of
 * the run, so the audit runs with `sharedTopic` and DLQ assertions look for this test's records.
 */
const { kafkaBrokers, databaseUrl, kafkaClient } = integrationEnv();
const schemas = { orders: uniqueName('ops_orders'), inventory: uniqueName('ops_inventory'), delivery: uniqueName('ops_delivery') };
const groups: Record<ServiceName, string> = { orders: uniqueName('ops_orders'), inventory: uniqueName('ops_inventory'), delivery: uniqueName('ops_delivery') };
const SKU = 'SKU-1';

const auditOptions = { kafkaBrokers, databaseUrl, ordersSchema: schemas.orders, ordersGroup: groups.orders, inventory: { schema: schemas.inventory, group: groups.inventory }, delivery: { schema: schemas.delivery, group: groups.delivery }, sharedTopic: true };

const apps = new Map<ServiceName, AppProcess>();
let db: Client;
let producer: Producer;
let workDir: string;
const placed: string[] = [];

// The apps verify tokens signed by a key pair made for this file; the API is called as an admin.
let signingKey: SigningKey;
let adminToken: string;

/** /consumer is served on the management port only; the API on the public one. */
const url = (service: ServiceName, route: string) => `${route === '/consumer' ? apps.get(service)!.managementUrl : apps.get(service)!.url}${route}`;

async function http<T>(service: ServiceName, method: string, route: string, body?: unknown): Promise<T> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` };
  const response = await fetch(url(service, route), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
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
  '--groups', `${groups.orders},${groups.inventory},${groups.delivery}`,
  '--shared-topic',
];

/** The group has consumed `partition` of `topic` past `offset`. */
async function consumedPast(group: string, topic: string, partition: number, offset: string): Promise<boolean> {
  const kafka = new Kafka({ brokers: kafkaBrokers, ...kafkaClient, logLevel: logLevel.NOTHING });
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

/** Starts (or restarts) one app of this stack on a fresh port, with extra variables. */
async function startApp(service: ServiceName, env: Record<string, string> = {}): Promise<AppProcess> {
  const app = await startAppProcess({
    service,
    port: await findFreePort(),
    env: { ...authEnvFor(signingKey), KAFKA_BROKERS: kafkaBrokers.join(','), DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schemas[service], KAFKA_GROUP_ID: groups[service], ...env },
  });
  apps.set(service, app);
  return app;
}

async function placeOrder(customerId: string, quantity = 1): Promise<string> {
  return (await http<{ id: string }>('orders', 'POST', '/orders', { customerId, items: [{ sku: SKU, quantity }] })).id;
}

const statusOf = async (orderId: string) => (await rows<{ status: string }>(`SELECT status FROM ${q(schemas.orders, 'orders')} WHERE id = $1`, [orderId]))[0]?.status;

/** Every group of this stack has consumed everything on the topics it reads. */
async function caughtUp(): Promise<boolean> {
  const lags = await groupsLag({ kafkaBrokers, groups: Object.values(groups) });
  return lags.every((lag) => lag.totalLag === '0');
}

/**
 * Events a service wrote that Kafka has not acknowledged: rows of its outbox table not published,
 * and what its WAL outbox slot holds unconfirmed (the services take the WAL on this PostgreSQL).
 */
async function unpublishedEvents(schema: string): Promise<Array<{ key: string; type: string; ageMs: number }>> {
  const table = await rows<{ key: string; type: string; age_ms: number }>(
    `SELECT message_key AS key, event_type AS type, (EXTRACT(EPOCH FROM now() - created_at) * 1000)::float AS age_ms FROM ${q(schema, 'outbox')} WHERE published_at IS NULL`,
  );
  const [{ lsn, slot }] = await rows<{ lsn: string; slot: boolean }>(
    `SELECT pg_current_wal_lsn()::text AS lsn, EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1) AS slot`,
    [walOutboxSlotName(schema)],
  );
  const wal = slot
    ? await waitFor(() => peekWalOutbox(db, schema, lsn).catch((error: unknown) => (error instanceof WalOutboxSlotInUseError ? undefined : Promise.reject(error))), {
        timeoutMs: 10_000,
        description: `a look at the WAL outbox of ${schema}`,
      })
    : [];
  return [
    ...table.map((row) => ({ key: row.key, type: row.type, ageMs: row.age_ms })),
    ...wal.map((message) => ({ key: message.key, type: message.headers['x-event-type'], ageMs: Date.now() - message.committedAt.getTime() })),
  ];
}

/** Nothing is left to publish (every outbox empty) or to consume (every group at lag 0). */
async function idle(): Promise<boolean> {
  for (const schema of Object.values(schemas)) if ((await unpublishedEvents(schema)).length > 0) return false;
  return caughtUp();
}

/** The events about one order on `topic` (its key), first copies. */
async function eventsAbout(topic: string, orderId: string): Promise<Array<{ eventId: string; type: string; partition: number; offset: bigint }>> {
  const kafka = new Kafka({ brokers: kafkaBrokers, ...kafkaClient, logLevel: logLevel.NOTHING });
  const offsets = await withAdmin(kafka, (admin) => topicOffsets(admin, topic));
  const found = new Map<string, { eventId: string; type: string; partition: number; offset: bigint }>();
  await scanTopic(kafka, {
    topic,
    ranges: offsets.map((entry) => ({ partition: entry.partition, from: entry.low, to: entry.high })),
    onMessage: (partition, message) => {
      if (message.key?.toString() !== orderId) return;
      const decoded = decodeEvent(message.value);
      if (decoded.ok && !found.has(decoded.envelope.eventId)) {
        found.set(decoded.envelope.eventId, { eventId: decoded.envelope.eventId, type: decoded.contract.pattern, partition, offset: BigInt(message.offset) });
      }
    },
  });
  return [...found.values()];
}

/** The order has `status` and nothing (about it or anything else) is left to publish or consume. */
async function waitUntilSettled(orderId: string, status = 'SCHEDULED'): Promise<void> {
  await waitFor(async () => (await statusOf(orderId)) === status && idle(), {
    timeoutMs: 90_000,
    intervalMs: 250,
    description: `order ${orderId} to be ${status} with every outbox published and every group at lag 0`,
  });
}

function describeGaps(report: AuditReport): string {
  return JSON.stringify(report.checks.filter((check) => !check.ok).map((check) => ({ id: check.id, gaps: check.gaps })), null, 1);
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'relay-ops-test-'));
  signingKey = await ensureSigningKey(path.join(workDir, 'auth'));
  adminToken = await mintToken(signingKey.privateKey, { subject: 'ops-test', roles: ['admin'], ttlSeconds: 3_600 });
  db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const kafka = new Kafka({ brokers: kafkaBrokers, ...kafkaClient, logLevel: logLevel.NOTHING });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await buildApps();
  await Promise.all(SERVICES.map((service) => startApp(service)));
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
  for (const schema of Object.values(schemas)) {
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await db?.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, [`relay_outbox_${schema}`]).catch(() => undefined);
  }
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
    // The services write their events to the WAL on this server (OUTBOX_STORE=auto): the audit read
    // them from the topics and the slots, as no outbox table holds a row.
    for (const schema of Object.values(schemas)) expect(await rows(`SELECT 1 FROM ${q(schema, 'outbox')}`)).toEqual([]);
    expect(await rows(`SELECT slot_name FROM pg_replication_slots WHERE slot_name = ANY($1::text[])`, [Object.values(schemas).map(walOutboxSlotName)])).toHaveLength(3);

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

  it('reports an event its relay quarantined as quarantined (a gap of its own, not a lost event or a stuck order), lists it, and republishes it', async () => {
    // What the orders relay leaves when Kafka refuses an order.placed for good: the order, and the
    // event kept in relay_quarantine instead of on the topic (the relay path itself is proven by
    // libs/messaging/src/outbox/relay-quarantine.int.spec.ts).
    const orderId = randomUUID();
    const event = anOrderPlacedV1({ orderId, customerId: 'ops-quarantined', items: [{ sku: SKU, quantity: 1 }] });
    const sequence = '00000000ffffffff-0000000000000000';
    await db.query(`INSERT INTO ${q(schemas.orders, 'orders')} (id, customer_id, status, created_at, updated_at) VALUES ($1, 'ops-quarantined', 'PENDING', now(), now())`, [orderId]);
    await db.query(
      `INSERT INTO ${q(schemas.orders, 'relay_quarantine')} (producer, sequence, event_id, event_type, topic, message_key, headers, value, size_bytes, limit_bytes, reason, error_message)
       VALUES ($1, $2, $3, 'order.placed.v1', $4, $5, $6, $7, 1100000, 1048588, 'MESSAGE_TOO_LARGE', 'The request included a message larger than the max message size the server will accept')`,
      [
        `wal:${schemas.orders}@test`,
        sequence,
        event.eventId,
        Topics.orderEvents,
        orderId,
        JSON.stringify({ 'x-event-type': 'order.placed.v1', 'x-correlation-id': orderId, 'x-relay-producer': `wal:${schemas.orders}@test`, 'x-relay-sequence': sequence, 'x-relay-xid': '1' }),
        Buffer.from(JSON.stringify(event)),
      ],
    );
    let republished = false;
    try {
      const report = await runAudit(auditOptions);
      expect(report.ok).toBe(false);
      expect(report.verdict).toContain('outbox');
      expect(gapExamples(report, 'outbox', 'quarantined')).toEqual([
        expect.objectContaining({ schema: schemas.orders, eventId: event.eventId, eventType: 'order.placed.v1', key: orderId, reason: 'MESSAGE_TOO_LARGE' }),
      ]);
      // Reported once: not as an order without its event, an event missing from the topic, or a stuck order.
      expect(report.checks.filter((check) => !check.ok).map((check) => check.id)).toEqual(['outbox']);
      expect(gapExamples(report, 'outbox', 'missing-event')).toEqual([]);
      expect(noteExamples(report, 'final', 'quarantined')).toEqual([expect.objectContaining({ orderId, waitingFor: `order.placed.v1 quarantined in ${schemas.orders}` })]);

      const listed = await ops(['outbox', 'quarantine', '--schemas', `${schemas.orders},${schemas.inventory}`]);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain(`${schemas.orders}: 1 quarantined event`);
      expect(listed.stdout).toContain(`order.placed.v1 ${event.eventId}  key ${orderId}`);
      expect(listed.stdout).toContain('MESSAGE_TOO_LARGE');
      expect(listed.stdout).toContain(`${schemas.inventory}: 0 quarantined events`);
      const shown = await ops(['outbox', 'quarantine', '--schemas', schemas.orders, '--event', event.eventId, '--json']);
      expect(shown.code).toBe(0);
      expect(JSON.parse(JSON.parse(shown.stdout).value)).toEqual(JSON.parse(JSON.stringify(event)));
      const audit = await ops(['audit', ...auditFlags]);
      expect(audit.code).toBe(1);
      expect(audit.stdout).toMatch(/✗ quarantined \(1\): events Kafka refused for good/);

      // Once its topic accepts it: published without the relay's sequence, applied once by every
      // group, and the audit passes, noting it as republished.
      const republish = await ops(['outbox', 'republish', '--schemas', schemas.orders, '--event', event.eventId]);
      expect(republish.code).toBe(0);
      republished = true;
      expect(republish.stdout).toContain(`republished order.placed.v1 ${event.eventId} (key ${orderId})`);
      await waitUntilSettled(orderId);
      const [onTopic] = await eventsAbout(Topics.orderEvents, orderId);
      expect(onTopic.eventId).toBe(event.eventId);
      const after = await runAudit(auditOptions);
      if (!after.ok) throw new Error(`audit found gaps after the republish: ${describeGaps(after)}`);
      expect(noteExamples(after, 'outbox', 'quarantine-republished')).toEqual([expect.objectContaining({ eventId: event.eventId })]);
    } finally {
      if (!republished) {
        await db.query(`DELETE FROM ${q(schemas.orders, 'relay_quarantine')} WHERE event_id = $1`, [event.eventId]);
        await db.query(`DELETE FROM ${q(schemas.orders, 'orders')} WHERE id = $1`, [orderId]);
      }
    }
  });

  it('reports the event and the effects of an order that no longer exists', async () => {
    const orderId = placed[2];
    const saved: [string, unknown[]][] = [];
    for (const [table, column] of [['orders', 'id'], ['order_lines', 'order_id']]) {
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

  it('follows rejected and cancelled orders to their end: final, and the three services agree', async () => {
    const rejected = await placeOrder('ops-rejected', 5_000);
    const cancelled = await placeOrder('ops-cancelled');
    await waitFor(async () => (await statusOf(cancelled)) === 'SCHEDULED', { timeoutMs: 60_000, intervalMs: 100, description: 'the order to cancel to be SCHEDULED' });
    await http('orders', 'POST', `/orders/${cancelled}/cancel`, { reason: 'ops audit test' });
    // Cancelled at once: inventory and delivery may hear the cancellation before or after the order.
    const early = await placeOrder('ops-cancelled-early');
    await http('orders', 'POST', `/orders/${early}/cancel`, { reason: 'ops audit test' });
    await waitUntilSettled(rejected, 'REJECTED');
    await waitUntilSettled(cancelled, 'CANCELLED');
    await waitUntilSettled(early, 'CANCELLED');

    const report = await runAudit({ ...auditOptions, maxExamples: 1_000 });
    if (!report.ok) throw new Error(`audit found gaps after rejected and cancelled orders: ${describeGaps(report)}`);
    const final = report.checks.find((check) => check.id === 'final')!;
    expect(final.counts).toMatchObject({ inFlight: 0, stuck: 0, inconsistent: 0, final: final.counts.orders });
    const reservations = await rows<{ order_id: string; status: string }>(`SELECT order_id::text, status FROM ${q(schemas.inventory, 'reservations')} WHERE order_id = ANY($1::uuid[])`, [[rejected, cancelled]]);
    expect(Object.fromEntries(reservations.map((row) => [row.order_id, row.status]))).toEqual({ [rejected]: 'REJECTED', [cancelled]: 'RELEASED' });
    expect(report.checks.find((check) => check.id === 'inventory-topic')!.counts.events).toBeGreaterThanOrEqual(placed.length + 3);
  }, 180_000);

  it('reports a stock event missing from relay.inventory.v1 while the inventory relay is down (an unpublished inventory outbox row, with its age)', async () => {
    // Inventory dies at its first outbox batch: the reservation is made, its stock event never sent.
    await apps.get('inventory')!.stop();
    const armed = await startApp('inventory', { RELAY_FAILPOINTS: 'relay-before-publish@1' });
    const orderId = await placeOrder('ops-relay-down');
    try {
      await waitFor(() => armed.process.exitStatus(), { timeoutMs: 60_000, intervalMs: 100, description: 'inventory to kill itself at relay-before-publish' });
      const held = await unpublishedEvents(schemas.inventory);
      expect(held).toEqual(expect.arrayContaining([expect.objectContaining({ key: orderId, type: 'stock.reserved.v1' })]));
      // Older than the grace period the audit is given (1 s), so overdue.
      await waitFor(async () => (await unpublishedEvents(schemas.inventory)).every((event) => event.ageMs > 1_500), {
        timeoutMs: 10_000,
        description: 'the unpublished stock event to be older than the grace period',
      });

      const report = await runAudit({ ...auditOptions, graceSeconds: 1, maxExamples: 1_000 });
      expect(report.ok).toBe(false);
      const unpublished = gapExamples(report, 'outbox', 'unpublished');
      expect(unpublished).toEqual(expect.arrayContaining([expect.objectContaining({ schema: schemas.inventory, key: orderId, eventType: 'stock.reserved.v1' })]));
      expect(unpublished.every((example) => example.schema === schemas.inventory && Number(example.ageSeconds) >= 1)).toBe(true);
      expect(unpublished).toHaveLength(held.length);
      // The order waits on that event: in flight, not judged as stuck.
      expect(noteExamples(report, 'final', 'in-flight')).toEqual(expect.arrayContaining([expect.objectContaining({ orderId, status: 'PENDING' })]));
      expect(gapExamples(report, 'final', 'stuck')).toEqual([]);

      const cli = await ops(['audit', ...auditFlags, '--grace-seconds', '1']);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toMatch(/^\[GAP\] {2}1\. outbox/m);
      expect(cli.stdout).toContain(`key=${orderId}`);
    } finally {
      await armed.stop();
      await startApp('inventory');
    }
    // Restarted, the relay publishes the held event and the order completes.
    await waitUntilSettled(orderId);
    const after = await runAudit(auditOptions);
    if (!after.ok) throw new Error(`audit after the inventory restart found gaps: ${describeGaps(after)}`);
  }, 240_000);

  it('reports an order left PENDING although nothing about it is in flight', async () => {
    const orderId = await placeOrder('ops-stuck');
    await waitUntilSettled(orderId);
    // The orders group consumed the stock and delivery events (its position is past them) but their
    // effect was lost: the order is back at PENDING and stays there.
    const ordersTable = q(schemas.orders, 'orders');
    const [saved] = await rows<{ row: unknown }>(`SELECT row_to_json(o) AS row FROM ${ordersTable} o WHERE id = $1`, [orderId]);
    const facts = [...(await eventsAbout(Topics.inventoryEvents, orderId)), ...(await eventsAbout(Topics.deliveryEvents, orderId))];
    expect(facts.map((fact) => fact.type).sort()).toEqual(['delivery.scheduled.v1', 'stock.reserved.v1']);
    await db.query('BEGIN');
    await db.query(
      `UPDATE ${ordersTable} SET status = 'PENDING', status_reason = NULL,
              status_history = jsonb_path_query_array(status_history, '$[*] ? (@.to == "PENDING")')
       WHERE id = $1`,
      [orderId],
    );
    await db.query('COMMIT');
    try {
      const report = await runAudit(auditOptions);
      expect(report.ok).toBe(false);
      expect(gapExamples(report, 'final', 'stuck')).toEqual([expect.objectContaining({ orderId, status: 'PENDING', reservation: 'RESERVED', delivery: 'SCHEDULED' })]);
      expect(gapExamples(report, 'orders', 'state-mismatch')).toEqual([expect.objectContaining({ orderId, status: 'PENDING', expected: 'SCHEDULED' })]);
    } finally {
      await db.query('BEGIN');
      await db.query(
        `UPDATE ${ordersTable} o SET status = r.status, status_reason = r.status_reason, status_history = r.status_history, updated_at = r.updated_at
         FROM json_populate_record(NULL::${ordersTable}, $1) r WHERE o.id = r.id`,
        [JSON.stringify(saved.row)],
      );
      await db.query('COMMIT');
    }
    const after = await runAudit(auditOptions);
    if (!after.ok) throw new Error(`audit after restoring the order found gaps: ${describeGaps(after)}`);
  }, 180_000);

  it('reports an order whose status history reached one status twice (an effect applied twice)', async () => {
    const orderId = await placeOrder('ops-twice');
    await waitUntilSettled(orderId);
    const ordersTable = q(schemas.orders, 'orders');
    // The stock event's effect applied a second time: its history entry appears again.
    await db.query(
      `UPDATE ${ordersTable} SET status_history = status_history || jsonb_path_query_array(status_history, '$[*] ? (@.to == "CONFIRMED")') WHERE id = $1`,
      [orderId],
    );
    try {
      const report = await runAudit(auditOptions);
      expect(report.ok).toBe(false);
      expect(gapExamples(report, 'orders', 'repeated-transition')).toEqual([expect.objectContaining({ orderId, status: 'CONFIRMED', times: 2 })]);
    } finally {
      await db.query(
        `UPDATE ${ordersTable} SET status_history = (
           SELECT jsonb_agg(entry ORDER BY position) FROM jsonb_array_elements(status_history) WITH ORDINALITY AS h(entry, position)
           WHERE position <= jsonb_array_length(status_history) - 1)
         WHERE id = $1`,
        [orderId],
      );
    }
    const after = await runAudit(auditOptions);
    if (!after.ok) throw new Error(`audit after restoring the order's history found gaps: ${describeGaps(after)}`);
  }, 180_000);

  it('does not report work in flight as a gap: a group behind (lag > 0) with a delivery that saw the stock event before the order', async () => {
    // Delivery is down: the order is placed, reserved and CONFIRMED, then waits for delivery.
    await apps.get('delivery')!.stop();
    const orderId = await placeOrder('ops-in-flight');
    await waitFor(async () => (await statusOf(orderId)) === 'CONFIRMED', { timeoutMs: 60_000, intervalMs: 100, description: 'the order to be CONFIRMED' });
    const [stock] = await waitFor(async () => {
      const events = await eventsAbout(Topics.inventoryEvents, orderId);
      return events.length > 0 ? events : undefined;
    }, { timeoutMs: 30_000, description: 'the stock event on the topic' });
    expect(stock.type).toBe('stock.reserved.v1');
    // Delivery had applied the stock event, not yet the order (they come from two topics): a
    // PENDING delivery and its position past the stock event committed, its Kafka offset not
    // (a crash in between: the restarted consumer seeks to the stored position).
    const at = stock;
    await db.query('BEGIN');
    await db.query(
      `INSERT INTO ${q(schemas.delivery, 'consumer_positions')} (consumer_group, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
       ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = GREATEST(consumer_positions.next_offset, excluded.next_offset)`,
      [groups.delivery, Topics.inventoryEvents, at.partition, (at.offset + 1n).toString()],
    );
    await db.query(`INSERT INTO ${q(schemas.delivery, 'deliveries')} (order_id, status, stock_status) VALUES ($1, 'PENDING', 'RESERVED')`, [orderId]);
    await db.query('COMMIT');

    // Delivery comes back once the audit has its snapshot; the audit waits for it to catch up.
    let restarted: Promise<AppProcess> | undefined;
    const report = await runAudit({
      ...auditOptions,
      graceSeconds: 90,
      maxExamples: 1_000,
      onProgress: (message) => {
        if (message === 'database snapshot taken' && !restarted) {
          restarted = startApp('delivery');
          restarted.catch(() => undefined);
        }
      },
    });
    await restarted;
    if (!report.ok) throw new Error(`audit reported work in flight as gaps: ${describeGaps(report)}`);
    expect(report.checks.find((check) => check.id === 'lag')!.counts.lagAtStart).toBeGreaterThan(0);
    const final = report.checks.find((check) => check.id === 'final')!;
    expect(final.counts.pipelineIdle).toBe(0);
    expect(noteExamples(report, 'final', 'in-flight')).toEqual(expect.arrayContaining([expect.objectContaining({ orderId, status: 'CONFIRMED' })]));
    const [placedEvent] = await eventsAbout(Topics.orderEvents, orderId);
    expect(noteExamples(report, 'delivery', 'pending')).toEqual(expect.arrayContaining([expect.objectContaining({ orderId, eventId: placedEvent.eventId })]));

    // Delivery applied the order on top of the stock event it had: SCHEDULED, and it all reconciles.
    await waitUntilSettled(orderId);
    expect(await rows(`SELECT status FROM ${q(schemas.delivery, 'deliveries')} WHERE order_id = $1`, [orderId])).toEqual([{ status: 'SCHEDULED' }]);
    const after = await runAudit(auditOptions);
    if (!after.ok) throw new Error(`audit after delivery caught up found gaps: ${describeGaps(after)}`);
    expect(noteExamples(after, 'final', 'in-flight')).not.toEqual(expect.arrayContaining([expect.objectContaining({ orderId })]));
  }, 240_000);

  it('finds no gap while orders are placed, rejected and cancelled under load, and every order final once it drains', async () => {
    await http('inventory', 'PUT', `/stock/${SKU}`, { onHand: 1_000_000 });
    let stopped = false;
    let attempts = 0;
    const accepted: string[] = [];
    const failures: string[] = [];
    // Eight clients in a loop: one order in seven is rejected (unknown SKU), one in five cancelled at once.
    const clients = Array.from({ length: 8 }, async (_, client) => {
      while (!stopped) {
        const attempt = ++attempts;
        try {
          const body = { customerId: `ops-load-${client}`, items: [{ sku: attempt % 7 === 0 ? 'SKU-UNKNOWN' : SKU, quantity: 1 }] };
          const orderId = (await http<{ id: string }>('orders', 'POST', '/orders', body)).id;
          accepted.push(orderId);
          if (attempt % 5 === 0) await http('orders', 'POST', `/orders/${orderId}/cancel`, { reason: 'ops load test' }).catch(() => undefined);
        } catch (error) {
          failures.push(String(error));
        }
      }
    });
    const inFlight: number[] = [];
    try {
      await waitFor(() => accepted.length >= 50, { timeoutMs: 30_000, description: 'the load to start' });
      for (let round = 0; round < 3; round++) {
        const report = await runAudit(auditOptions);
        if (!report.ok) throw new Error(`audit under load (${accepted.length} orders placed) found gaps: ${describeGaps(report)}`);
        inFlight.push(report.checks.find((check) => check.id === 'final')!.counts.inFlight);
      }
    } finally {
      stopped = true;
      await Promise.all(clients);
    }
    expect(failures).toEqual([]);
    // The audits saw work in flight, and did not call it a gap.
    expect(Math.max(...inFlight)).toBeGreaterThan(0);

    await waitFor(idle, { timeoutMs: 120_000, intervalMs: 250, description: 'the load to drain' });
    const drained = await runAudit(auditOptions);
    if (!drained.ok) throw new Error(`audit after the load found gaps: ${describeGaps(drained)}`);
    const final = drained.checks.find((check) => check.id === 'final')!.counts;
    expect(final).toMatchObject({ inFlight: 0, stuck: 0, inconsistent: 0, final: final.orders });
    expect(final.orders).toBeGreaterThanOrEqual(accepted.length);
  }, 300_000);
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

  it('replays a record only to the topic its dead-letter topic belongs to, whatever its headers say', async () => {
    // Written straight onto the inventory group's dead-letter topic of relay.orders.v1, with a
    // header that names another topic: a replay must not become a way to write there.
    const event = anOrderPlacedV1();
    const dlqTopic = deadLetterTopicFor(Topics.orderEvents, groups.inventory);
    const [sent] = await producer.send({
      topic: dlqTopic,
      acks: -1,
      messages: [{ key: event.data.orderId, value: JSON.stringify(event), headers: { [DeadLetterHeaders.originalTopic]: Topics.inventoryEvents } }],
    });
    const position = `${sent.partition}:${sent.baseOffset}`;

    const refused = await ops(['dlq', 'replay', '--group', groups.inventory, position]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`names ${Topics.inventoryEvents}, but ${dlqTopic} holds dead letters of ${Topics.orderEvents}`);

    const all = await replayDeadLetters({ ...dlq, all: true, dryRun: true });
    expect(all.skipped).toEqual(expect.arrayContaining([{ from: expect.stringContaining(position), reason: expect.stringContaining(`names ${Topics.inventoryEvents}`) }]));
    expect(all.replayed.map((record) => record.eventId)).not.toContain(event.eventId);
  });

  it('replays a fixed value for a parked event once: applied, then a duplicate; the audit passes; purge empties the DLQ', async () => {
    // An order stored with its event, whose published copy was corrupted on the way (data.orderId).
    const orderId = randomUUID();
    const event = anOrderPlacedV1({ orderId, customerId: 'ops-fixed', items: [{ sku: SKU, quantity: 1 }] }, { producer: 'orders' });
    await db.query('BEGIN');
    await db.query(
      `INSERT INTO ${q(schemas.orders, 'orders')} (id, customer_id, status, status_history, created_at, updated_at)
       VALUES ($1, 'ops-fixed', 'PENDING', jsonb_build_array(jsonb_build_object('from', NULL, 'to', 'PENDING', 'cause', 'order.placed.v1', 'at', now())), now(), now())`,
      [orderId],
    );
    await db.query(`INSERT INTO ${q(schemas.orders, 'order_lines')} (order_id, line_no, sku, quantity) VALUES ($1, 1, $2, 1)`, [orderId, SKU]);
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

    // The same fixed value again: the parking record was consumed by the first replay, no second effect.
    const again = await replayDeadLetters({ ...dlq, positions: [parked], value: JSON.stringify(event) });
    const to = again.replayed[0].to!;
    await waitFor(() => consumedPast(groups.inventory, Topics.orderEvents, to.partition, to.offset), { timeoutMs: 60_000, intervalMs: 250, description: 'inventory to consume the second replay' });
    expect((await counters()).duplicates).toBeGreaterThan(before.duplicates);
    expect(await rows(`SELECT 1 FROM ${q(schemas.inventory, 'reservations')} WHERE order_id = $1`, [orderId])).toHaveLength(1);
    const parkingRecords = (schema: string, group: string) =>
      rows(`SELECT 1 FROM ${q(schema, 'parked_events')} WHERE consumer_group = $1 AND topic = $2 AND partition = $3 AND kafka_offset = $4`, [
        group,
        Topics.orderEvents,
        parked.original!.partition,
        parked.original!.offset,
      ]);
    expect(await parkingRecords(schemas.inventory, groups.inventory)).toEqual([]);

    // Delivery had parked the broken copy too: it applies the replay by consuming its own parking
    // record of the same original; then everything reconciles.
    await waitFor(async () => (await rows(`SELECT 1 FROM ${q(schemas.delivery, 'deliveries')} WHERE order_id = $1`, [orderId])).length === 1, {
      timeoutMs: 60_000,
      description: 'delivery to apply the replayed event',
    });
    await waitFor(async () => (await parkingRecords(schemas.delivery, groups.delivery)).length === 0, { description: "delivery's parking record to be consumed" });
    const report = await runAudit(auditOptions);
    if (!report.ok) throw new Error(`audit after the replay found gaps: ${describeGaps(report)}`);
    expect(report.checks.find((check) => check.id === 'topic')!.notes.map((note) => note.kind)).toEqual(expect.arrayContaining(['duplicates', 'undecodable']));

    const purged = await purgeDeadLetters(dlq);
    expect(purged.deleted).toBeGreaterThanOrEqual(2);
    const after = await listDeadLetters(dlq);
    expect(after.records.filter((record) => record.key === orderId || record.key?.startsWith('poison-'))).toEqual([]);
  });
});

describe('lag and an order\'s story (what the console shows)', () => {
  jest.setTimeout(120_000);

  it('lag measures every group npm start runs, orders included, and names the instance owning each partition', async () => {
    const cli = await ops(['lag', '--json']);
    expect(cli.code).toBe(0);
    expect((JSON.parse(cli.stdout) as Array<{ group: string }>).map((lag) => lag.group)).toEqual(['orders', 'inventory', 'delivery']);

    const lags = await groupsLag({ kafkaBrokers, groups: Object.values(groups) });
    for (const [service, group] of Object.entries(groups)) {
      const lag = lags.find((entry) => entry.group === group)!;
      expect(lag.partitions.length).toBeGreaterThan(0);
      // One instance per service here: it owns every partition of its group (the apps' default client id is the service name).
      expect(new Set(lag.partitions.map((partition) => partition.owner?.clientId))).toEqual(new Set([service]));
    }
  });

  it("tells an order's story: its events on the three topics, each group's progress past them, and each service's rows", async () => {
    const orderId = placed[0];
    await waitUntilSettled(orderId);
    const story = await orderStory({
      kafkaBrokers,
      databaseUrl,
      orderId,
      schemas: { orders: schemas.orders, inventory: schemas.inventory, delivery: schemas.delivery },
      groups: Object.values(groups),
    });
    expect(story.events.map((event) => [event.type, event.topic, event.producer])).toEqual([
      ['order.placed', Topics.orderEvents, 'orders'],
      ['stock.reserved', Topics.inventoryEvents, 'inventory'],
      ['delivery.scheduled', Topics.deliveryEvents, 'delivery'],
    ]);
    expect(story.events[0].consumedBy).toEqual([
      { group: groups.inventory, consumed: true },
      { group: groups.delivery, consumed: true },
    ]);
    expect(story.order!.statusHistory.map((entry) => entry.to)).toEqual(['PENDING', 'CONFIRMED', 'SCHEDULED']);
    expect(story.reservation!.status).toBe('RESERVED');
    expect(story.delivery!.status).toBe('SCHEDULED');

    const unknown = await orderStory({ kafkaBrokers, databaseUrl, orderId: randomUUID(), schemas: { orders: schemas.orders, inventory: schemas.inventory, delivery: schemas.delivery } });
    expect(unknown).toEqual(expect.objectContaining({ events: [], order: null, reservation: null, delivery: null }));
    await expect(orderStory({ kafkaBrokers, databaseUrl, orderId: 'not-an-id' })).rejects.toThrow(OpsError);
  });
});
