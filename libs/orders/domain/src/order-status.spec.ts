import { ORDER_STATUSES, OrderFact, OrderStatus, transition } from './order-status';

const reserved: OrderFact = { kind: 'STOCK_RESERVED' };
const rejected: OrderFact = { kind: 'STOCK_REJECTED', reason: { code: 'INVENTORY.INSUFFICIENT_STOCK', sku: 'A' } };
const scheduled: OrderFact = { kind: 'DELIVERY_SCHEDULED' };
const deliveryCancelled: OrderFact = { kind: 'DELIVERY_CANCELLED' };
const cancel: OrderFact = { kind: 'CANCEL_REQUESTED', reason: 'changed my mind' };

/** Applies facts in order, ignoring refusals, and returns the final status. */
function replay(facts: OrderFact[], from: OrderStatus = 'PENDING'): OrderStatus {
  return facts.reduce<OrderStatus>((status, fact) => {
    const result = transition(status, fact);
    return result.outcome === 'moved' ? result.to : status;
  }, from);
}

describe('order state machine', () => {
  it.each<[OrderStatus, OrderFact, OrderStatus | 'unchanged' | 'refused']>([
    ['PENDING', reserved, 'CONFIRMED'],
    ['PENDING', rejected, 'REJECTED'],
    ['PENDING', scheduled, 'SCHEDULED'],
    ['PENDING', deliveryCancelled, 'unchanged'],
    ['PENDING', cancel, 'CANCELLED'],
    ['CONFIRMED', reserved, 'unchanged'],
    ['CONFIRMED', rejected, 'unchanged'],
    ['CONFIRMED', scheduled, 'SCHEDULED'],
    ['CONFIRMED', deliveryCancelled, 'unchanged'],
    ['CONFIRMED', cancel, 'CANCELLED'],
    ['SCHEDULED', reserved, 'unchanged'],
    ['SCHEDULED', rejected, 'unchanged'],
    ['SCHEDULED', scheduled, 'unchanged'],
    ['SCHEDULED', deliveryCancelled, 'unchanged'],
    ['SCHEDULED', cancel, 'CANCELLED'],
    ['REJECTED', reserved, 'unchanged'],
    ['REJECTED', rejected, 'unchanged'],
    ['REJECTED', scheduled, 'unchanged'],
    ['REJECTED', deliveryCancelled, 'unchanged'],
    ['REJECTED', cancel, 'refused'],
    ['CANCELLED', reserved, 'unchanged'],
    ['CANCELLED', rejected, 'unchanged'],
    ['CANCELLED', scheduled, 'unchanged'],
    ['CANCELLED', deliveryCancelled, 'unchanged'],
    ['CANCELLED', cancel, 'unchanged'],
  ])('%s + %o → %s', (from, fact, expected) => {
    const result = transition(from, fact);
    if (expected === 'unchanged' || expected === 'refused') expect(result.outcome).toBe(expected);
    else expect(result).toMatchObject({ outcome: 'moved', to: expected });
  });

  it('covers every status', () => {
    expect(ORDER_STATUSES).toHaveLength(5);
  });

  it('keeps the rejection reason and the cancellation reason', () => {
    expect(transition('PENDING', rejected)).toEqual({ outcome: 'moved', to: 'REJECTED', reason: { code: 'INVENTORY.INSUFFICIENT_STOCK', sku: 'A' } });
    expect(transition('CONFIRMED', cancel)).toEqual({ outcome: 'moved', to: 'CANCELLED', reason: { code: 'ORDERS.CANCELLED_BY_CUSTOMER', message: 'changed my mind' } });
  });

  it('reaches the same status whatever order the facts arrive in', () => {
    expect(replay([reserved, scheduled])).toBe('SCHEDULED');
    expect(replay([scheduled, reserved])).toBe('SCHEDULED');
    expect(replay([scheduled, reserved, reserved, scheduled])).toBe('SCHEDULED');
  });

  it('never moves backwards on a late or duplicate event', () => {
    expect(replay([reserved, scheduled, reserved])).toBe('SCHEDULED');
    expect(replay([rejected, reserved, scheduled])).toBe('REJECTED');
    expect(replay([cancel, reserved, scheduled, rejected])).toBe('CANCELLED');
    expect(replay([rejected, deliveryCancelled, rejected])).toBe('REJECTED');
  });

  it('makes a second cancel a no-op and refuses to cancel a rejected order', () => {
    expect(transition(replay([cancel]), cancel)).toEqual({ outcome: 'unchanged' });
    expect(transition(replay([rejected]), cancel)).toMatchObject({ outcome: 'refused', code: 'ORDERS.CANNOT_CANCEL_REJECTED' });
  });
});
