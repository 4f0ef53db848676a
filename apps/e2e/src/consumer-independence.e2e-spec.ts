import { Topics } from '@relay/contracts';
import {
  consumerStatus,
  getStock,
  placeOrderOk,
  setStock,
  skuFor,
  topicsOf,
  waitForDeliveryStatus,
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

  it('inventory keeps processing while delivery is down; delivery then catches up on exactly the events it missed', async () => {
    const sku = skuFor(stack, 'INDEP');
    await setStock(stack, sku, 1_000);
    // Both groups have worked through everything already on the shared topics.
    const [, deliveryStatus] = await Promise.all([waitUntilCaughtUp(stack.inventory), waitUntilCaughtUp(stack.delivery)]);
    const deliveryTopics = topicsOf(deliveryStatus);
    expect(deliveryTopics).toContain(Topics.orderEvents);
    const stockBefore = await getStock(stack, sku);
    const orderTopicEndBefore = await kafka.topicsEnd([Topics.orderEvents]);
    const deliveryBefore = {
      onOrderTopic: await kafka.groupPosition(stack.groups.delivery, [Topics.orderEvents]),
      onAllItsTopics: await kafka.groupPosition(stack.groups.delivery, deliveryTopics),
    };

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

    // Exactly our 50 order events were published, and delivery, stopped, consumed none of them: its
    // committed offsets did not move.
    expect(await kafka.topicsEnd([Topics.orderEvents])).toBe(orderTopicEndBefore + BigInt(ORDER_COUNT));
    expect(await kafka.groupPosition(stack.groups.delivery, deliveryTopics)).toBe(deliveryBefore.onAllItsTopics);

    await stack.delivery.start();

    const deliveries = await mapWithConcurrency(orderIds, 10, (orderId) => waitForDeliveryStatus(stack, orderId, 'SCHEDULED'));
    expect(deliveries.map((delivery) => delivery.orderId)).toEqual(orderIds);
    const caughtUp = await waitUntilCaughtUp(stack.delivery);

    // The restarted delivery read on from its committed offsets: on the order topic, exactly our 50
    // events; it applied every event it had missed once (where delivery also follows other topics,
    // those include what our 50 orders caused there meanwhile) and re-read none it had applied before.
    const advancedOnOrderTopic = (await kafka.groupPosition(stack.groups.delivery, [Topics.orderEvents])) - deliveryBefore.onOrderTopic;
    const advancedInTotal = (await kafka.groupPosition(stack.groups.delivery, deliveryTopics)) - deliveryBefore.onAllItsTopics;
    expect(advancedOnOrderTopic).toBe(BigInt(ORDER_COUNT));
    expect(caughtUp.counters).toEqual({ applied: Number(advancedInTotal), duplicates: 0, skipped: 0, retried: 0, deadLettered: 0, seeks: 0 });
    expect(caughtUp.counters.applied).toBeGreaterThanOrEqual(ORDER_COUNT);

    // Inventory was not disturbed by delivery's absence or return.
    expect((await consumerStatus(stack.inventory)).totalLag).toBe('0');
  });
});
