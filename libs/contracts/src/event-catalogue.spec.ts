import { anOrderPlacedV1 } from './testing/builders';
import { decodeEvent, EventCatalogue } from './event-catalogue';
import { OrderPlacedV1 } from './events/order-placed.v1';
import { createEnvelope } from './event-contract';

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

  it('accepts an order at the limits', () => {
    expect(decodeEvent(JSON.stringify(anOrderPlacedV1({ items: lines(100).map((line) => ({ ...line, quantity: 10_000 })) }))).ok).toBe(true);
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
