import { anOrderPlacedV1 } from './testing/builders';
import { decodeEvent, EventCatalogue } from './event-catalogue';
import { OrderPlacedV1 } from './events/order-placed.v1';
import { StockReservedV1 } from './events/stock-reserved.v1';
import { DeliveryScheduledV1 } from './events/delivery-scheduled.v1';
import { createEnvelope } from './event-contract';
import { Topics } from './topics';
import { TopicProducers } from './topology';
import { textProblem } from './text';

describe('decodeEvent', () => {
  it('accepts a valid order-placed event and keeps its data', () => {
    const event = anOrderPlacedV1({ items: [{ sku: 'SKU-9', quantity: 3 }] });
    const result = decodeEvent(Buffer.from(JSON.stringify(event)));
    expect(result).toMatchObject({ ok: true, envelope: { eventId: event.eventId, data: { items: [{ sku: 'SKU-9', quantity: 3 }] } } });
  });

  it('ignores unknown fields, so additive changes keep the version', () => {
    const event = { ...anOrderPlacedV1(), addedLater: true };
    const result = decodeEvent(JSON.stringify({ ...event, data: { ...event.data, giftWrap: true } }));
    expect(result.ok).toBe(true);
  });

  it.each([
    ['not-json', Buffer.from([0xde, 0xad, 0xbe, 0xef])],
    ['not-json', null],
    ['bad-envelope', JSON.stringify({ hello: 'world' })],
    ['unknown-event', JSON.stringify({ ...anOrderPlacedV1(), version: 99 })],
    ['bad-data', JSON.stringify({ ...anOrderPlacedV1(), data: { orderId: 'not-a-uuid' } })],
  ])('rejects %s input as poison', (reason, value) => {
    expect(decodeEvent(value)).toMatchObject({ ok: false, reason });
  });

  // As strict as the HTTP intake: an event a producer could never have raised is poison, however
  // it got onto the topic.
  const lines = (count: number) => Array.from({ length: count }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }));
  it.each([
    ['the same SKU on two lines', [{ sku: 'A', quantity: 10 }, { sku: 'A', quantity: 10 }], 'each SKU may appear on one line only'],
    ['more lines than an order may have', lines(101), 'items'],
    ['a quantity above the limit', [{ sku: 'A', quantity: 10_001 }], 'quantity'],
    ['a SKU the intake would refuse', [{ sku: 'A\u0000B', quantity: 1 }], 'sku'],
    ['a SKU longer than 64 characters', [{ sku: 'A'.repeat(65), quantity: 1 }], 'sku'],
  ])('rejects an order with %s as bad data', (_, items, inMessage) => {
    const event = anOrderPlacedV1();
    const result = decodeEvent(JSON.stringify({ ...event, data: { ...event.data, items } }));
    expect(result).toMatchObject({ ok: false, reason: 'bad-data' });
    expect(result.ok === false && result.message).toContain(inMessage);
  });

  it.each([
    ['a country the intake would refuse (lower case)', { shippingAddress: { line1: '1 rue', city: 'Paris', postalCode: '75002', country: 'fr' } }, 'country'],
    ['a customer id longer than the intake takes', { customerId: 'c'.repeat(101) }, 'customerId'],
    // Text the intake refuses (service-runtime's validation pipe applies the same textProblem).
    ['a NUL in the customer id', { customerId: 'c-\u00001' }, 'customerId'],
    ['an unpaired surrogate in an address', { shippingAddress: { line1: '1 rue', city: 'Par\ud800is', postalCode: '75002', country: 'FR' } }, 'city'],
  ])('rejects an order with %s as bad data', (_, data, inMessage) => {
    const event = anOrderPlacedV1();
    const result = decodeEvent(JSON.stringify({ ...event, data: { ...event.data, ...data } }));
    expect(result).toMatchObject({ ok: false, reason: 'bad-data' });
    expect(result.ok === false && result.message).toContain(inMessage);
  });

  it('bounds the other events too: a rejection names a SKU and a quantity an order could hold, a route is short', () => {
    const orderId = '0190a000-0000-7000-8000-000000000001';
    const envelope = (type: string, data: unknown) => JSON.stringify({ ...anOrderPlacedV1(), type, producer: 'inventory', data });
    const rejected = (reason: object) => decodeEvent(envelope('stock.rejected', { orderId, reason }), Topics.inventoryEvents);
    expect(rejected({ code: 'INVENTORY.INSUFFICIENT_STOCK', sku: 'SKU-1', requested: 5, available: 2 }).ok).toBe(true);
    expect(rejected({ code: 'INVENTORY.INSUFFICIENT_STOCK', sku: 'SKU-1', requested: 10_001, available: 2 })).toMatchObject({ ok: false, reason: 'bad-data' });
    expect(rejected({ code: 'INVENTORY.INSUFFICIENT_STOCK', sku: 'SKU-1', requested: 5, available: -1 })).toMatchObject({ ok: false, reason: 'bad-data' });
    expect(rejected({ code: 'INVENTORY.UNKNOWN_SKU', sku: 'x'.repeat(10_000) })).toMatchObject({ ok: false, reason: 'bad-data' });
    expect(DeliveryScheduledV1.schema.safeParse({ orderId, deliveryDate: '2026-01-02', timeWindow: '10:00-12:00', route: 'FR-R07' }).success).toBe(true);
    expect(DeliveryScheduledV1.schema.safeParse({ orderId, deliveryDate: '2026-01-02', timeWindow: '10:00-12:00', route: 'R'.repeat(33) }).success).toBe(false);
  });

  it('accepts an order at the limits', () => {
    expect(decodeEvent(JSON.stringify(anOrderPlacedV1({ items: lines(100).map((line) => ({ ...line, quantity: 10_000 })) }))).ok).toBe(true);
  });
});

describe('decodeEvent at a consumer edge (given the topic it was read from)', () => {
  const reserved = (producer: string) =>
    JSON.stringify(createEnvelope(StockReservedV1, { data: { orderId: '0190a000-0000-7000-8000-000000000002', lines: [{ sku: 'SKU-1', quantity: 1 }] }, producer, correlationId: 'c-1' }));

  it('accepts an event on its own topic from the producer its contract names', () => {
    expect(decodeEvent(reserved('inventory'), Topics.inventoryEvents)).toMatchObject({ ok: true, contract: StockReservedV1 });
  });

  it('parks an event read from another topic than its contract names: a stock.reserved on the orders topic', () => {
    expect(decodeEvent(reserved('inventory'), Topics.orderEvents)).toEqual({
      ok: false,
      reason: 'wrong-topic',
      message: 'stock.reserved.v1 belongs on relay.inventory.v1, not on relay.orders.v1',
    });
  });

  it('parks an event whose envelope names another producer, its name escaped (it is untrusted text)', () => {
    expect(decodeEvent(reserved('orders'), Topics.inventoryEvents)).toEqual({ ok: false, reason: 'wrong-producer', message: 'stock.reserved.v1 is published by inventory, not by "orders"' });
    expect(decodeEvent(reserved('inv"entory'), Topics.inventoryEvents)).toMatchObject({ message: 'stock.reserved.v1 is published by inventory, not by "inv\\"entory"' });
  });

  it('checks neither without a topic (the ops tools read dead letters that way)', () => {
    expect(decodeEvent(reserved('orders')).ok).toBe(true);
  });

  it('names one producer per topic, and every contract carries its topic\'s', () => {
    expect(TopicProducers).toEqual({ [Topics.orderEvents]: 'orders', [Topics.inventoryEvents]: 'inventory', [Topics.deliveryEvents]: 'delivery' });
    for (const contract of EventCatalogue.values()) expect(contract.producer).toBe(TopicProducers[contract.topic]);
  });
});

describe('contracts', () => {
  it('keys order events by order id', () => {
    const event = anOrderPlacedV1();
    expect(OrderPlacedV1.keyOf(event.data)).toBe(event.data.orderId);
  });

  it('lists every contract under its handler pattern', () => {
    expect([...EventCatalogue.keys()].sort()).toEqual(
      ['delivery.cancelled.v1', 'delivery.scheduled.v1', 'order.cancelled.v1', 'order.placed.v1', 'stock.rejected.v1', 'stock.released.v1', 'stock.reserved.v1'],
    );
  });

  it('refuses to build an envelope whose data breaks the schema', () => {
    expect(() =>
      createEnvelope(OrderPlacedV1, {
        data: { orderId: 'x', customerId: 'c', items: [], placedAt: 'yesterday' },
        producer: 'test',
        correlationId: 'c-1',
      }),
    ).toThrow();
  });
});

describe('textProblem', () => {
  it('passes ordinary text, tabs and line breaks included, and refuses control characters and unpaired surrogates', () => {
    expect(textProblem('changed\tmy\r\nmind — 変更 🙂')).toBeUndefined();
    expect(textProblem('c-\u00001')).toBe('not contain control characters');
    expect(textProblem('del\u007f')).toBe('not contain control characters');
    expect(textProblem(JSON.parse('"a\\udc00"'))).toMatch(/unpaired surrogate/);
  });

  it('is checked in the envelope too: a control character in the producer or the correlation id is a bad envelope', () => {
    expect(decodeEvent(JSON.stringify(anOrderPlacedV1({}, { correlationId: 'c\u0000' })))).toMatchObject({ ok: false, reason: 'bad-envelope' });
    expect(decodeEvent(JSON.stringify({ ...anOrderPlacedV1(), producer: 'orders\u001b' }))).toMatchObject({ ok: false, reason: 'bad-envelope' });
  });
});
