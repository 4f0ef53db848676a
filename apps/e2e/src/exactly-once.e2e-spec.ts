import { anOrderPlacedV1, Topics } from '@relay/contracts';
import {
  consumerStatus,
  ConsumerStatusBody,
  counterDelta,
  getStock,
  placeOrderOk,
  setStock,
  skuFor,
  topicsOf,
  waitForDeliveryStatus,
  waitForReservation,
  waitUntilCaughtUp,
} from './support/api';
import { KafkaProbe } from './support/kafka';
import { waitFor } from '@relay/testing';
import { startStack, Stack } from './support/stack';

describe('offsets and redelivery: every event has exactly one effect', () => {
  let stack: Stack;
  let kafka: KafkaProbe;

  beforeAll(async () => {
    stack = await startStack({ name: 'exactlyonce' });
    kafka = await KafkaProbe.connect(stack.kafkaBrokers, `e2e-probe-${stack.suffix}`);
  });

  afterAll(async () => {
    await kafka?.disconnect();
    await stack?.stop();
  });

  /** Committed vs end offset per partition of every topic the group reads, as the Kafka admin API reports them. */
  async function offsetsOf(group: string, topics: readonly string[]) {
    const rows: { topic: string; partition: number; committed: string; end: string }[] = [];
    for (const topic of topics) {
      const [ends, committed] = await Promise.all([kafka.endOffsets(topic), kafka.committedOffsets(group, topic)]);
      for (const end of ends) {
        const offset = committed.get(end.partition) ?? -1n;
        // A group commits nothing on a partition that never had a message; that is "all read" too.
        const nothingToRead = offset === -1n && end.high === end.low;
        rows.push({ topic, partition: end.partition, committed: (nothingToRead ? end.high : offset).toString(), end: end.high.toString() });
      }
    }
    return rows;
  }

  async function expectCommittedToEnd(group: string, topics: readonly string[]): Promise<Awaited<ReturnType<typeof offsetsOf>>> {
    const offsets = await offsetsOf(group, topics);
    expect(offsets.length).toBeGreaterThan(0);
    expect(offsets).toEqual(offsets.map((partition) => ({ ...partition, committed: partition.end })));
    return offsets;
  }

  it('commits each group up to the end of every partition, and a restarted consumer reprocesses nothing', async () => {
    const sku = skuFor(stack, 'OFFSETS');
    await setStock(stack, sku, 100);
    const first = await placeOrderOk(stack, 'c-offsets-1', [{ sku, quantity: 1 }]);
    await Promise.all([waitForReservation(stack, first.id), waitForDeliveryStatus(stack, first.id, 'SCHEDULED')]);
    const statuses: ConsumerStatusBody[] = await Promise.all([waitUntilCaughtUp(stack.inventory), waitUntilCaughtUp(stack.delivery)]);

    for (const [group, status] of [
      [stack.groups.inventory, statuses[0]],
      [stack.groups.delivery, statuses[1]],
    ] as const) {
      expect(topicsOf(status)).toContain(Topics.orderEvents);
      const offsets = await expectCommittedToEnd(group, topicsOf(status));
      // The service's own /consumer report agrees with the admin API.
      const reported = status.partitions.map((partition) => ({ topic: partition.topic, partition: partition.partition, end: partition.endOffset }));
      expect(reported).toEqual(expect.arrayContaining(offsets.map(({ topic, partition, end }) => ({ topic, partition, end }))));
    }

    await stack.inventory.restart();
    await waitFor(() => consumerStatus(stack.inventory), { timeoutMs: 30_000, description: 'the restarted inventory to answer GET /consumer' });
    const second = await placeOrderOk(stack, 'c-offsets-2', [{ sku, quantity: 1 }]);
    expect((await waitForReservation(stack, second.id)).status).toBe('RESERVED');

    const afterRestart = await waitUntilCaughtUp(stack.inventory);
    expect(afterRestart.counters).toEqual({ applied: 1, duplicates: 0, skipped: 0, retried: 0, deadLettered: 0, seeks: 0 });
    await expectCommittedToEnd(stack.groups.inventory, topicsOf(afterRestart));
  });

  it('applies a redelivered event (same envelope produced twice) once and counts the copy as a duplicate', async () => {
    const sku = skuFor(stack, 'REDELIVERY');
    await setStock(stack, sku, 10);
    const stockBefore = await getStock(stack, sku);
    const before = await Promise.all([waitUntilCaughtUp(stack.inventory), waitUntilCaughtUp(stack.delivery)]);
    const event = anOrderPlacedV1({ customerId: 'c-redelivery', items: [{ sku, quantity: 3 }] });
    const message = { key: event.data.orderId, value: JSON.stringify(event) };

    await kafka.produce(Topics.orderEvents, [message]);
    await kafka.produce(Topics.orderEvents, [message]);

    const reservation = await waitForReservation(stack, event.data.orderId);
    expect(reservation).toEqual(expect.objectContaining({ orderId: event.data.orderId, status: 'RESERVED', lines: [{ sku, quantity: 3 }], reason: null }));
    await waitForDeliveryStatus(stack, event.data.orderId, 'SCHEDULED');
    const after = await Promise.all([waitUntilCaughtUp(stack.inventory), waitUntilCaughtUp(stack.delivery)]);

    expect(counterDelta(after[0].counters, before[0].counters)).toEqual({ applied: 1, duplicates: 1, skipped: 0, retried: 0, deadLettered: 0, seeks: 0 });
    // Delivery got the copy too, and recognised it as well.
    expect(counterDelta(after[1].counters, before[1].counters)).toEqual(expect.objectContaining({ duplicates: 1, retried: 0, deadLettered: 0 }));
    expect(await getStock(stack, sku)).toEqual(expect.objectContaining({ sku, onHand: stockBefore.onHand, reserved: stockBefore.reserved + 3, available: stockBefore.available - 3 }));
  });
});
