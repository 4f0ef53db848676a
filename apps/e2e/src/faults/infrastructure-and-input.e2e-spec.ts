import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { anOrderPlacedV1, deadLetterTopicFor, Topics } from '@relay/contracts';
import { OrderBody, UUID, waitForReservation, waitUntilCaughtUp } from '../support/api';
import { getJson, http } from '../support/http';
import { Stack } from '../support/stack';
import { waitFor } from '@relay/testing';
import { listDeadLetters, replayDeadLetters } from './support/ops';
import { makeTempRoot, OwnKafka, OwnPostgres, startStackOn } from './support/own-servers';
import { RawProducer } from './support/raw-producer';
import { FaultResults } from './support/results';
import { consumerOf, FaultRig, faultScenario, listCustomerOrders } from './support/scenario';

// Fault suite, part 3: the stack on its OWN Kafka broker and PostgreSQL server (in a temp dir, on
// fixed ports), so that the test can stop and restart them: idempotent retries, a Kafka outage, a
// PostgreSQL outage, and poison messages on the order events topic, each under a stream of orders.

describe('fault suite: infrastructure outages and bad input (own Kafka and PostgreSQL)', () => {
  let stack: Stack;
  let temp: { root: string; remove(): Promise<void> } | undefined;
  let kafka: OwnKafka | undefined;
  let postgres: OwnPostgres | undefined;
  const results = new FaultResults('faults/infrastructure-and-input.e2e-spec.ts');
  /** Set by the poison scenario, which itself publishes events the orders service never wrote. */
  let foreignEvents = false;
  const rig = (): FaultRig => ({ stack, kafkaBrokers: kafka!.brokers, databaseUrl: postgres!.url, sharedTopic: foreignEvents, results, restore });

  /** After each scenario: broker and database up, the stack's three apps running. */
  async function restore(): Promise<void> {
    await Promise.all([kafka!.start(), postgres!.start()]);
    await Promise.all(stack.apps.map((app) => app.start()));
  }

  beforeAll(async () => {
    temp = await makeTempRoot('faults-infra');
    const root = temp.root;
    const [ownKafka, ownPostgres] = await Promise.allSettled([OwnKafka.start(path.join(root, 'kafka')), OwnPostgres.start(path.join(root, 'postgres'))]);
    kafka = ownKafka.status === 'fulfilled' ? ownKafka.value : undefined;
    postgres = ownPostgres.status === 'fulfilled' ? ownPostgres.value : undefined;
    if (ownKafka.status === 'rejected') throw ownKafka.reason;
    if (ownPostgres.status === 'rejected') throw ownPostgres.reason;
    if (kafka!.port === postgres!.port) throw new Error(`Kafka and PostgreSQL were given the same port ${kafka!.port}`);
    stack = await startStackOn({ name: 'faultinfra' }, { kafkaBrokers: kafka!.brokers, databaseUrl: postgres!.url });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await Promise.allSettled([kafka?.stop(), postgres?.stop()]);
    await temp?.remove();
    results.flush();
  }, 120_000);

  faultScenario(rig, '9', 'a retried POST with the same Idempotency-Key returns the same order; another body is a 422', async (run) => {
    await run.prepare();
    run.start();
    await run.waitForPlaced(run.rate);
    const customerId = `${run.customerId}-idem`;
    const body = { customerId, items: [{ sku: run.sku, quantity: 4 }] };
    const post = (key: string, json: unknown) => http<OrderBody & { code?: string }>('POST', `${stack.orders.url}/orders`, { json, headers: { 'idempotency-key': key } });

    run.fault('the same requests sent again');
    const key = `idem-${stack.suffix}`;
    const first = await post(key, body);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(first.body.id).toMatch(UUID);
    const retry = await post(key, body);
    expect({ status: retry.status, replayed: retry.headers.get('idempotent-replayed'), id: retry.body.id }).toEqual({ status: 201, replayed: 'true', id: first.body.id });
    // The same body with its JSON keys in another order is the same request.
    const reordered = await post(key, { items: [{ quantity: 4, sku: run.sku }], customerId });
    expect({ status: reordered.status, id: reordered.body.id }).toEqual({ status: 201, id: first.body.id });

    // Racing duplicates of one request (a client that retried before the first answer came back):
    // one order; exactly one answer is the original, the others are replays of it.
    const raceKey = `idem-race-${stack.suffix}`;
    const race = await Promise.all(Array.from({ length: 6 }, () => post(raceKey, body)));
    expect(race.map((answer) => answer.status)).toEqual(race.map(() => 201));
    expect(new Set(race.map((answer) => answer.body.id)).size).toBe(1);
    expect(race.filter((answer) => answer.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);

    const reused = await post(key, { customerId, items: [{ sku: run.sku, quantity: 5 }] });
    expect({ status: reused.status, code: reused.body.code }).toEqual({ status: 422, code: 'ORDERS.IDEMPOTENCY_KEY_REUSED' });
    run.healed('retries answered');

    // Nothing new was created: two keys, two orders, each reserved once.
    const created = await listCustomerOrders(stack.orders.url, customerId);
    expect(created.map((order) => order.id).sort()).toEqual([first.body.id, race[0].body.id].sort());
    await run.settle();
    for (const order of created) expect((await waitForReservation(stack, order.id)).status).toBe('RESERVED');
    const statuses = await Promise.all(created.map(async (order) => (await getJson<OrderBody>(`${stack.orders.url}/orders/${order.id}`)).body.status));
    expect(statuses).toEqual(['SCHEDULED', 'SCHEDULED']);
    await run.verify({ extraReserved: 8 });
    run.result.details.idempotency = { retries: 2, racing: race.length, replayedInRace: race.length - 1, keyReusedStatus: reused.status };
  });

  faultScenario(rig, '6', 'stop and restart the Kafka broker during load', async (run) => {
    await run.prepare();
    run.start();
    await run.waitForPlaced(run.rate * 2);
    const stoppedAt = Date.now();
    await kafka!.stop();
    run.fault('Kafka broker stopped (SIGTERM, clean shutdown)', stoppedAt);
    // Orders keeps taking orders: each one and its event commit to PostgreSQL (the outbox).
    const placedBefore = run.loader.placed().length;
    await run.waitForPlaced(placedBefore + run.rate * 3, 60_000, 'orders to keep answering 201 while Kafka is down');
    const restartedAt = Date.now();
    const placedWhileDown = run.loader.placedSince(stoppedAt);
    const non201WhileDown = run.loader.non201Since(stoppedAt);
    await kafka!.start();
    run.healed(`broker restarted on the same data dir and port (took ${Date.now() - restartedAt} ms)`);

    await run.settle();
    await run.verify();
    run.result.details.placedWhileKafkaDown = placedWhileDown;
    run.result.details.non201WhileKafkaDown = non201WhileDown;
    expect(non201WhileDown).toBe(0);
  });

  faultScenario(rig, '7', 'stop PostgreSQL for a few seconds during load', async (run) => {
    await run.prepare();
    const pids = stack.apps.map((app) => app.pid());
    run.start();
    await run.waitForPlaced(run.rate * 2);
    const stoppedAt = Date.now();
    await postgres!.stop();
    run.fault('PostgreSQL stopped (fast shutdown)', stoppedAt);
    // Down for about two seconds of traffic: requests answer 503 meanwhile (and are retried).
    await waitFor(() => run.loader.statusSince(503, stoppedAt) >= run.rate * 2, {
      timeoutMs: 60_000,
      description: `${run.rate * 2} answers 503 while PostgreSQL is down (loader: ${JSON.stringify(run.loader.summary().statuses)})`,
    });
    await postgres!.start();
    run.healed('PostgreSQL restarted on the same data dir and port');

    await run.settle();
    await run.verify();
    const summary = run.loader.summary();
    run.result.details.answersDuringOutage = { statuses: summary.statuses, codes503: summary.codes503, transportErrors: summary.transportErrors };
    // 503 DATABASE_UNAVAILABLE (never a 500, never a dropped connection), retried with the same key.
    expect(summary.statuses['503']).toBeGreaterThan(0);
    expect(Object.keys(summary.codes503)).toEqual(['DATABASE_UNAVAILABLE']);
    expect(Object.keys(summary.statuses).sort()).toEqual(['201', '503']);
    expect(summary.transportErrors).toBe(0);
    // Nothing half-written: a 503 means nothing was saved, so its retry creates the order (it is
    // not a replay of an order the 503 had in fact committed).
    expect(summary.replayedAfter503).toBe(0);
    // No service crashed on the way: the same processes serve on.
    expect(stack.apps.map((app) => app.pid())).toEqual(pids);
  });

  faultScenario(rig, '8', 'poison messages on relay.orders.v1 among valid orders: parked with provenance, replayed fixed once', async (run) => {
    await run.prepare();
    const brokers = kafka!.brokers;
    const producer = await RawProducer.connect(brokers, `e2e-poison-${stack.suffix}`);
    try {
      run.start();
      await run.waitForPlaced(run.rate * 2);
      // From here on, the topic holds events the orders service never wrote: the audit must treat
      // them as another producer's (shared-topic mode), not as orphans of this schema.
      foreignEvents = true;
      run.rig.sharedTopic = true;
      const valid = (orderId: string) => anOrderPlacedV1({ orderId, customerId: run.customerId, items: [{ sku: run.sku, quantity: 5 }] });
      const notJsonKey = randomUUID();
      const badDataKey = randomUUID();
      const unknownKey = randomUUID();
      const badData = valid(badDataKey);
      const poison = [
        { reason: 'not-json', key: notJsonKey, value: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0x6f, 0x72, 0x64]) },
        { reason: 'bad-data', key: badDataKey, value: Buffer.from(JSON.stringify({ ...badData, data: { ...badData.data, items: 'five of them' } })) },
        { reason: 'unknown-event', key: unknownKey, value: Buffer.from(JSON.stringify({ ...valid(unknownKey), version: 99 })) },
      ];
      run.fault('three poison messages produced onto relay.orders.v1');
      const produced = [];
      for (const message of poison) produced.push({ ...message, at: await producer.produce(Topics.orderEvents, { key: message.key, value: message.value, headers: { 'x-e2e': 'poison' } }) });
      const placedAtPoison = run.loader.placed().length;
      await run.waitForPlaced(placedAtPoison + run.rate * 2, 60_000, 'valid orders placed after the poison');
      run.healed('valid orders placed after the poison');
      await run.settle();

      // Each group that consumes the topic parked each poison message once, at once, with its provenance.
      for (const group of [stack.groups.inventory, stack.groups.delivery]) {
        const dead = await listDeadLetters({ kafkaBrokers: brokers.split(','), group, sourceTopic: Topics.orderEvents });
        expect(dead.dlqTopic).toBe(deadLetterTopicFor(Topics.orderEvents, group));
        for (const message of produced) {
          const records = dead.records.filter((record) => record.key === message.key);
          expect(records).toHaveLength(1);
          expect(records[0].headers).toEqual(
            expect.objectContaining({
              'x-e2e': 'poison',
              'x-dlq-original-topic': Topics.orderEvents,
              'x-dlq-original-partition': String(message.at.partition),
              'x-dlq-original-offset': message.at.offset,
              'x-dlq-consumer-group': group,
              'x-dlq-error-class': `PoisonMessage:${message.reason}`,
              'x-dlq-attempts': '1',
            }),
          );
          expect(records[0].value?.equals(message.value)).toBe(true);
        }
      }
      const [inventoryBefore, deliveryBefore] = await Promise.all([consumerOf(stack.inventory.managementUrl), consumerOf(stack.delivery.managementUrl)]);
      expect(inventoryBefore.counters.deadLettered).toBeGreaterThanOrEqual(3);

      // The operator fixes the bad-data message and replays it from inventory's dead-letter topic
      // (original key, so the same partition): it is applied once…
      const inventoryDead = await listDeadLetters({ kafkaBrokers: brokers.split(','), group: stack.groups.inventory, sourceTopic: Topics.orderEvents });
      const parked = inventoryDead.records.find((record) => record.key === badDataKey)!;
      const fixed = JSON.stringify(badData);
      const replay = () => replayDeadLetters({ kafkaBrokers: brokers.split(','), group: stack.groups.inventory, sourceTopic: Topics.orderEvents, positions: [{ partition: parked.partition, offset: parked.offset }], value: fixed });
      const once = await replay();
      expect(once.replayed).toEqual([expect.objectContaining({ key: badDataKey, eventId: badData.eventId, fixedValue: true, to: expect.objectContaining({ topic: Topics.orderEvents, partition: produced[1].at.partition }) })]);
      const reservation = await waitForReservation(stack, badDataKey);
      expect(reservation).toEqual(expect.objectContaining({ status: 'RESERVED', lines: [{ sku: run.sku, quantity: 5 }] }));
      const [inventoryOnce, deliveryOnce] = await Promise.all([waitUntilCaughtUp(stack.inventory), waitUntilCaughtUp(stack.delivery)]);
      // …and replaying it a second time is a duplicate: no second effect.
      await replay();
      const [inventoryTwice, deliveryTwice] = await Promise.all([
        waitFor(async () => {
          const status = await waitUntilCaughtUp(stack.inventory);
          return status.counters.duplicates > inventoryOnce.counters.duplicates ? status : undefined;
        }, { timeoutMs: 60_000, description: 'inventory to see the second replay' }),
        waitFor(async () => {
          const status = await waitUntilCaughtUp(stack.delivery);
          return status.counters.duplicates > deliveryOnce.counters.duplicates ? status : undefined;
        }, { timeoutMs: 60_000, description: 'delivery to see the second replay' }),
      ]);
      const delta = (after: { applied: number; duplicates: number }, before: { applied: number; duplicates: number }) => ({ applied: after.applied - before.applied, duplicates: after.duplicates - before.duplicates });
      expect(delta(inventoryOnce.counters, inventoryBefore.counters)).toEqual({ applied: 1, duplicates: 0 });
      expect(delta(inventoryTwice.counters, inventoryOnce.counters)).toEqual({ applied: 0, duplicates: 1 });
      expect(delta(deliveryTwice.counters, deliveryOnce.counters)).toEqual({ applied: 0, duplicates: 1 });
      run.result.details.replay = {
        inventory: { first: delta(inventoryOnce.counters, inventoryBefore.counters), second: delta(inventoryTwice.counters, inventoryOnce.counters) },
        delivery: { first: delta(deliveryOnce.counters, deliveryBefore.counters), second: delta(deliveryTwice.counters, deliveryOnce.counters) },
      };

      // The fixed order's 5 units are reserved once; the loader's orders around the poison are all final.
      const report = await run.verify({ extraReserved: 5 });
      const topic = report.checks.find((check) => check.id === 'topic')!;
      expect(topic.counts.undecodable).toBe(3);
      run.result.details.deadLettered = { inventory: inventoryTwice.counters.deadLettered, delivery: deliveryTwice.counters.deadLettered };
    } finally {
      await producer.disconnect();
    }
  });
});
