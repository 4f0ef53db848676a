import {
  allowedDeliveryStatuses,
  allowedOrderStatuses,
  allowedReservationStatuses,
  consumersOf,
  deliveryEventsFit,
  EVENT,
  expectedStockEvents,
  finalExpectation,
  topicsReadBy,
} from './model';

const facts = (...types: string[]) => new Set(types);

describe('the audit model (what the event catalogue says each service does)', () => {
  it('knows which group reads which topic and applies which event', () => {
    expect(topicsReadBy('orders', 'relay.orders.v1')).toEqual(['relay.inventory.v1', 'relay.delivery.v1']);
    expect(topicsReadBy('inventory', 'relay.orders.v1')).toEqual(['relay.orders.v1']);
    expect(topicsReadBy('delivery', 'relay.orders.v1')).toEqual(['relay.orders.v1', 'relay.inventory.v1']);
    expect(consumersOf(EVENT.placed)).toEqual(['inventory', 'delivery']);
    expect(consumersOf(EVENT.reserved)).toEqual(['orders', 'delivery']);
    expect(consumersOf(EVENT.scheduled)).toEqual(['orders']);
    // Nobody applies stock.released: it is skipped, never recorded.
    expect(consumersOf(EVENT.released)).toEqual([]);
  });

  it('derives the order status from the facts, whatever their arrival order', () => {
    expect(allowedOrderStatuses(facts(), false)).toEqual(['PENDING']);
    expect(allowedOrderStatuses(facts(EVENT.reserved), false)).toEqual(['CONFIRMED']);
    // "delivery scheduled" implies the reservation, even heard first.
    expect(allowedOrderStatuses(facts(EVENT.scheduled), false)).toEqual(['SCHEDULED']);
    expect(allowedOrderStatuses(facts(EVENT.reserved, EVENT.scheduled), false)).toEqual(['SCHEDULED']);
    expect(allowedOrderStatuses(facts(EVENT.rejected, EVENT.deliveryCancelled), false)).toEqual(['REJECTED']);
    expect(allowedOrderStatuses(facts(EVENT.reserved, EVENT.deliveryCancelled), true)).toEqual(['CANCELLED']);
    // Two decisions (another stack's inventory on a shared topic): the first one counts.
    expect(allowedOrderStatuses(facts(EVENT.reserved, EVENT.rejected), false)).toEqual(['CONFIRMED', 'REJECTED']);
  });

  it('derives the reservation and the stock events it raised', () => {
    expect(allowedReservationStatuses(facts())).toBeNull();
    expect(allowedReservationStatuses(facts(EVENT.placed))).toEqual(['REJECTED', 'RESERVED']);
    expect(allowedReservationStatuses(facts(EVENT.cancelled))).toEqual(['CANCELLED']);
    expect(allowedReservationStatuses(facts(EVENT.placed, EVENT.cancelled))).toEqual(['CANCELLED', 'REJECTED', 'RELEASED']);
    expect(expectedStockEvents('RELEASED')).toEqual({ reserved: 1, rejected: 0, released: 1 });
    expect(expectedStockEvents('CANCELLED')).toEqual({ reserved: 0, rejected: 0, released: 0 });
    expect(expectedStockEvents(undefined)).toEqual({ reserved: 0, rejected: 0, released: 0 });
  });

  it('derives the delivery: a stock event heard before the order leaves it PENDING, not unexplained', () => {
    expect(allowedDeliveryStatuses(facts())).toEqual([]);
    expect(allowedDeliveryStatuses(facts(EVENT.reserved))).toEqual(['PENDING']);
    expect(allowedDeliveryStatuses(facts(EVENT.placed))).toEqual(['PREPARED']);
    expect(allowedDeliveryStatuses(facts(EVENT.placed, EVENT.reserved))).toEqual(['SCHEDULED']);
    expect(allowedDeliveryStatuses(facts(EVENT.rejected))).toEqual(['CANCELLED']);
    expect(allowedDeliveryStatuses(facts(EVENT.placed, EVENT.reserved, EVENT.cancelled))).toEqual(['CANCELLED']);
    expect(allowedDeliveryStatuses(facts(EVENT.placed, EVENT.reserved, EVENT.rejected))).toEqual(['CANCELLED', 'SCHEDULED']);
    expect(deliveryEventsFit('SCHEDULED', { scheduled: 1, cancelled: 0 })).toBe(true);
    expect(deliveryEventsFit('CANCELLED', { scheduled: 1, cancelled: 1 })).toBe(true);
    expect(deliveryEventsFit('CANCELLED', { scheduled: 0, cancelled: 0 })).toBe(false);
    expect(deliveryEventsFit('PENDING', { scheduled: 0, cancelled: 0 })).toBe(true);
    expect(deliveryEventsFit('SCHEDULED', { scheduled: 2, cancelled: 0 })).toBe(false);
  });

  it('says where a settled order ends and what the other services then hold', () => {
    expect(finalExpectation('PENDING')).toBeNull();
    expect(finalExpectation('CONFIRMED')).toBeNull();
    expect(finalExpectation('SCHEDULED')).toEqual({ reservation: ['RESERVED'], delivery: ['SCHEDULED'] });
    expect(finalExpectation('REJECTED')).toEqual({ reservation: ['REJECTED'], delivery: ['CANCELLED'] });
    expect(finalExpectation('CANCELLED')?.delivery).toEqual(['CANCELLED']);
  });
});
