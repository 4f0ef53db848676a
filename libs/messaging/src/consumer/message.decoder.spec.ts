import { KafkaMessage } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { anOrderPlacedV1, createEnvelope, OrderCancelledV1, OrderPlacedV1, StockReservedV1, Topics } from '@relay/contracts';
import { MessageDecoder } from './message.decoder';

const messageOf = (value: Buffer | string | null, offset = '7'): KafkaMessage => ({
  key: null,
  value: typeof value === 'string' ? Buffer.from(value) : value,
  offset,
  timestamp: '0',
  attributes: 0,
  headers: {},
});

describe('MessageDecoder', () => {
  // This group handles order-placed only.
  const decoder = new MessageDecoder((pattern) => (pattern === OrderPlacedV1.pattern ? 'placed-handler' : null));

  it('decodes a known event and finds its handler', () => {
    const event = anOrderPlacedV1();
    const message = messageOf(JSON.stringify(event));
    const decoded = decoder.decode(message, Topics.orderEvents);
    expect(decoded).toMatchObject({ ok: true, message, contract: OrderPlacedV1, handler: 'placed-handler' });
    expect(decoded.ok && decoded.envelope).toEqual(event);
  });

  it('decodes an event no handler of the group subscribes to, with a null handler', () => {
    const cancelled = createEnvelope(OrderCancelledV1, { data: { orderId: randomUUID(), reason: 'test', cancelledAt: new Date().toISOString() }, producer: 'orders', correlationId: 'c-1' });
    expect(decoder.decode(messageOf(JSON.stringify(cancelled)), Topics.orderEvents)).toMatchObject({ ok: true, contract: OrderCancelledV1, handler: null });
  });

  it.each([
    ['not-json', Buffer.from([0xde, 0xad])],
    ['not-json', null],
    ['bad-envelope', JSON.stringify({ hello: 'world' })],
    ['unknown-event', JSON.stringify({ ...anOrderPlacedV1(), version: 99 })],
    ['bad-data', JSON.stringify({ ...anOrderPlacedV1(), data: { orderId: 'not-a-uuid' } })],
  ] as const)('calls a message poison (%s) with the reason and what was wrong', (reason, value) => {
    const message = messageOf(value);
    const decoded = decoder.decode(message, Topics.orderEvents);
    expect(decoded).toMatchObject({ ok: false, message, reason });
    expect(!decoded.ok && decoded.detail.length).toBeGreaterThan(0);
  });

  it('calls an event poison on a topic its contract does not name: a stock.reserved on the orders topic is not trusted', () => {
    const forged = createEnvelope(StockReservedV1, { data: { orderId: randomUUID(), lines: [{ sku: 'SKU-1', quantity: 1 }] }, producer: 'inventory', correlationId: 'c-1' });
    const decoded = decoder.decode(messageOf(JSON.stringify(forged)), Topics.orderEvents);
    expect(decoded).toMatchObject({ ok: false, reason: 'wrong-topic', detail: `stock.reserved.v1 belongs on ${Topics.inventoryEvents}, not on ${Topics.orderEvents}` });
    expect(decoder.decode(messageOf(JSON.stringify(forged)), Topics.inventoryEvents)).toMatchObject({ ok: true, contract: StockReservedV1 });
  });

  it('calls an event poison whose envelope names another producer than its contract (a claim, checked though not proof)', () => {
    const mislabelled = anOrderPlacedV1({}, { producer: 'inventory' });
    expect(decoder.decode(messageOf(JSON.stringify(mislabelled)), Topics.orderEvents)).toMatchObject({
      ok: false,
      reason: 'wrong-producer',
      detail: 'order.placed.v1 is published by orders, not by "inventory"',
    });
  });

  it('decodes a run in order, or gives up on the whole run at its first poison message', () => {
    const events = [anOrderPlacedV1(), anOrderPlacedV1()];
    const run = events.map((event, index) => messageOf(JSON.stringify(event), String(index)));
    expect(decoder.decodeAll(run, Topics.orderEvents)?.map((decoded) => decoded.envelope.eventId)).toEqual(events.map((event) => event.eventId));
    expect(decoder.decodeAll([run[0], messageOf('garbage'), run[1]], Topics.orderEvents)).toBeUndefined();
    expect(decoder.decodeAll([], Topics.orderEvents)).toEqual([]);
  });
});
