import { AppProcess, findFreePort, startAppProcess } from '@relay/local-stack';
import path from 'node:path';
import { getStock, placeOrderOk, setStock, skuFor, waitForReservation } from './support/api';
import { getJson, mapWithConcurrency, postJson } from './support/http';
import { otherKafkaClient, startStack, Stack } from './support/stack';
import { waitFor } from '@relay/testing';

// Scaling out: instances of one group share the partitions, a lost instance's partitions move to
// the others, and nothing is lost or applied twice on the way.

interface ConsumerView {
  assignment: Record<string, number[]>;
  totalLag: string;
  counters: { applied: number };
}

const ORDERS_TOPIC = 'relay.orders.v1';

describe('scaling a consumer group across partitions', () => {
  let stack: Stack;
  const extra: AppProcess[] = [];

  const consumerOf = async (url: string) => (await getJson<ConsumerView>(`${url}/consumer`)).body;
  const inventoryUrls = () => [stack.inventory.managementUrl, ...extra.filter((app) => app.process.exitStatus() === undefined).map((app) => app.managementUrl)];

  beforeAll(async () => {
    stack = await startStack({ name: 'scaling', env: { inventory: { CONSUMER_SESSION_TIMEOUT_MS: '6000' } } });
    for (let i = 2; i <= 3; i++) {
      extra.push(
        await startAppProcess({
          service: 'inventory',
          // Instance 2 on the other Kafka client: one group, both clients (see otherKafkaClient).
          env: { ...stack.inventory.env, ...(i === 2 ? { KAFKA_CLIENT: otherKafkaClient(stack.inventory.env) } : {}) },
          port: await findFreePort(),
          logFile: path.join(stack.logDir, `inventory-${i}.log`),
        }),
      );
    }
  });

  afterAll(async () => {
    await Promise.allSettled(extra.map((app) => app.stop(10_000)));
    await stack?.stop();
  });

  it('spreads the 6 partitions over 3 instances, moves a killed one’s partitions, and applies every order once', async () => {
    const owned = await waitFor(async () => {
      const views = await Promise.all(inventoryUrls().map(consumerOf));
      const partitions = views.map((view) => view.assignment[ORDERS_TOPIC] ?? []);
      const all = partitions.flat().sort((a, b) => a - b);
      return partitions.every((list) => list.length > 0) && all.join() === '0,1,2,3,4,5' ? partitions : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, description: 'three inventory instances to share the six partitions' });
    expect(owned).toHaveLength(3);

    const sku = skuFor(stack, 'scale');
    await setStock(stack, sku, 1_000);
    const place = (count: number, tag: string) =>
      mapWithConcurrency(Array.from({ length: count }, (_, i) => i), 20, (i) => placeOrderOk(stack, `c-${tag}-${i}`, [{ sku, quantity: 1 }]));

    const first = await place(60, 'before');
    await extra[1].process.stop({ signal: 'SIGKILL', timeoutMs: 5_000 });
    const second = await place(60, 'after');

    await waitFor(async () => {
      const views = await Promise.all(inventoryUrls().map(consumerOf));
      const all = views.flatMap((view) => view.assignment[ORDERS_TOPIC] ?? []).sort((a, b) => a - b);
      return all.join() === '0,1,2,3,4,5' ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, description: 'the two survivors to own all six partitions' });

    for (const order of [...first, ...second]) expect((await waitForReservation(stack, order.id, 60_000)).status).toBe('RESERVED');
    // Exactly once: 120 orders of one unit each reserved exactly 120 units, whatever was redelivered.
    expect(await getStock(stack, sku)).toMatchObject({ onHand: 1_000, reserved: 120 });
  });

  it('applies one order’s events in order, whichever instance owns its partition', async () => {
    const sku = skuFor(stack, 'order');
    await setStock(stack, sku, 100);
    // Placed then cancelled at once: inventory must see the placement before the cancel (same key,
    // same partition), or it would reserve stock for a cancelled order.
    const orders = await mapWithConcurrency(Array.from({ length: 30 }, (_, i) => i), 10, async (i) => {
      const order = await placeOrderOk(stack, `c-seq-${i}`, [{ sku, quantity: 2 }]);
      const cancelled = await postJson(`${stack.orders.url}/orders/${order.id}/cancel`, {});
      expect(cancelled.status).toBe(200);
      return order;
    });
    for (const order of orders) {
      await waitFor(async () => ((await waitForReservation(stack, order.id)).status === 'RELEASED' ? true : undefined), {
        timeoutMs: 30_000,
        description: `order ${order.id} to be reserved, then released`,
      });
    }
    expect(await getStock(stack, sku)).toMatchObject({ onHand: 100, reserved: 0 });
  });
});
