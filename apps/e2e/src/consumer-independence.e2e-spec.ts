import { Topics } from '@relay/contracts';
import {
  consumerStatus,
  getStock,
  placeOrderOk,
  setStock,
  skuFor,
  topicsOf,
  waitForDelivery,
  waitForReservation,
  waitUntilCaughtUp,
} from './support/api';
import { mapWithConcurrency } from './support/http';
import { KafkaProbe } from './support/kafka';
import { startStack, Stack } from './support/stack';

const ORDER_COUNT = 50;

describe('consumer groups are independent', () => {
  let stack: Stack;
  let kafka: KafkaProbe;

  beforeAll(async () => {
    stack = await startStack({ name: 'independence' });
    kafka = await KafkaProbe.connect(stack.kafkaBrokers, `e2e-probe-${stack.suffix}`);
  });

  afterAll(async () => {
    await kafka?.disconnect();
    await stack?.stop();
  });

  it('inventory keeps processing while delivery is down; delivery catches up on exactly the missed events', async () => {
    const sku = skuFor(stack, 'INDEP');
    await setStock(stack, sku, 1_000);
    // Both groups have worked through everything already on the shared topic.
    const [, deliveryStatus] = await Promise.all([waitUntilCaughtUp(stack.inventory), waitUntilCaughtUp(stack.delivery)]);
    const deliveryTopics = topicsOf(deliveryStatus);
    expect(deliveryTopics).toContain(Topics.orderEvents);
    const stockBefore = await getStock(stack, sku);
    const topicEndBefore = await kafka.topicsEnd(deliveryTopics);
    const deliveryPositionBefore = await kafka.groupPosition(stack.groups.delivery, deliveryTopics);

    await stack.delivery.stop();
    expect(stack.delivery.isRunning()).toBe(false);

    const orders = await mapWithConcurrency(Array.from({ length: ORDER_COUNT }, (_, index) => index), 10, (index) =>
      placeOrderOk(stack, `c-indep-${index}`, [{ sku, quantity: 1 }]),
    );
    const orderIds = orders.map((order) => order.id);
    expect(new Set(orderIds).size).toBe(ORDER_COUNT);

    // Inventory does not need delivery: it reserves every one of them.
    const reservations = await mapWithConcurrency(orderIds, 10, (orderId) => waitForReservation(stack, orderId));
    expect(reservations.map((reservation) => reservation.status)).toEqual(orderIds.map(() => 'RESERVED'));
    await waitUntilCaughtUp(stack.inventory);
    expect((await getStock(stack, sku)).reserved).toBe(stockBefore.reserved + ORDER_COUNT);

    // Delivery, stopped, consumed none of them: its committed offsets did not move, and exactly our
    // 50 events are waiting for it.
    expect(await kafka.topicsEnd(deliveryTopics)).toBe(topicEndBefore + BigInt(ORDER_COUNT));
    expect(await kafka.groupPosition(stack.groups.delivery, deliveryTopics)).toBe(deliveryPositionBefore);

    await stack.delivery.start();

    const caughtUp = await waitUntilCaughtUp(stack.delivery);
    expect(caughtUp.counters).toEqual({ applied: ORDER_COUNT, duplicates: 0, skipped: 0, retried: 0, deadLettered: 0 });
    expect(await kafka.groupPosition(stack.groups.delivery, deliveryTopics)).toBe(deliveryPositionBefore + BigInt(ORDER_COUNT));
    const deliveries = await mapWithConcurrency(orderIds, 10, (orderId) => waitForDelivery(stack, orderId, 5_000));
    expect(deliveries.map((delivery) => [delivery.orderId, delivery.status])).toEqual(orderIds.map((orderId) => [orderId, 'SCHEDULED']));

    // Inventory was not disturbed by delivery's absence or return.
    expect((await consumerStatus(stack.inventory)).totalLag).toBe('0');
  });
});
