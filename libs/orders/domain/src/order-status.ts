/**
 * An order's life. PENDING → CONFIRMED (stock reserved) → SCHEDULED (delivery scheduled), or
 * REJECTED (stock could not be reserved), or CANCELLED (by the customer, before shipping).
 * REJECTED and CANCELLED are final.
 */
export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'SCHEDULED' | 'REJECTED' | 'CANCELLED';

export const ORDER_STATUSES: readonly OrderStatus[] = ['PENDING', 'CONFIRMED', 'SCHEDULED', 'REJECTED', 'CANCELLED'];

/** Why an order is REJECTED or CANCELLED: a stable code and the facts behind it. */
export type StatusReason = Record<string, string | number>;

/** Something that happened to an order, as the orders service learns it. */
export type OrderFact =
  | { kind: 'STOCK_RESERVED' }
  | { kind: 'STOCK_REJECTED'; reason: StatusReason }
  | { kind: 'DELIVERY_SCHEDULED' }
  | { kind: 'DELIVERY_CANCELLED' }
  | { kind: 'CANCEL_REQUESTED'; reason: string };

export type Transition =
  | { outcome: 'moved'; to: OrderStatus; reason: StatusReason | null }
  | { outcome: 'unchanged' }
  | { outcome: 'refused'; code: 'ORDERS.CANNOT_CANCEL_REJECTED'; message: string };

const progress: Record<OrderStatus, number> = { PENDING: 0, CONFIRMED: 1, SCHEDULED: 2, REJECTED: 3, CANCELLED: 3 };
const isFinal = (status: OrderStatus) => status === 'REJECTED' || status === 'CANCELLED';

/** Moves forward only: a late or repeated fact never takes an order back. */
function forwardTo(current: OrderStatus, target: OrderStatus, reason: StatusReason | null = null): Transition {
  if (isFinal(current) || progress[target] <= progress[current]) return { outcome: 'unchanged' };
  return { outcome: 'moved', to: target, reason };
}

/**
 * The order state machine. Facts come from events on several topics, so they can arrive in any
 * order and more than once: every transition is idempotent and out-of-order-safe. Delivery is
 * scheduled only after stock is reserved, so "delivery scheduled" before "stock reserved" means
 * both happened.
 */
export function transition(current: OrderStatus, fact: OrderFact): Transition {
  switch (fact.kind) {
    case 'STOCK_RESERVED':
      return forwardTo(current, 'CONFIRMED');
    case 'DELIVERY_SCHEDULED':
      return forwardTo(current, 'SCHEDULED');
    case 'STOCK_REJECTED':
      return current === 'PENDING' ? { outcome: 'moved', to: 'REJECTED', reason: fact.reason } : { outcome: 'unchanged' };
    case 'DELIVERY_CANCELLED':
      // Follows a rejection or a cancellation, which set the status themselves.
      return { outcome: 'unchanged' };
    case 'CANCEL_REQUESTED':
      if (current === 'CANCELLED') return { outcome: 'unchanged' };
      if (current === 'REJECTED') {
        return { outcome: 'refused', code: 'ORDERS.CANNOT_CANCEL_REJECTED', message: 'the order was rejected, so there is nothing to cancel' };
      }
      return { outcome: 'moved', to: 'CANCELLED', reason: { code: 'ORDERS.CANCELLED_BY_CUSTOMER', message: fact.reason } };
  }
}
