import { DeliveryPlan } from './delivery-plan';

/**
 * PENDING: we know about the order's stock but not the order yet (events from two topics race);
 * PREPARED: planned, waiting for stock; SCHEDULED: planned and stock reserved (confirmed);
 * CANCELLED: stock rejected or order cancelled (final).
 */
export type DeliveryStatus = 'PENDING' | 'PREPARED' | 'SCHEDULED' | 'CANCELLED';

export interface DeliveryState {
  status: DeliveryStatus;
  plan: DeliveryPlan | null;
  stock: 'UNKNOWN' | 'RESERVED' | 'REJECTED';
  cancelReason: 'STOCK_REJECTED' | 'ORDER_CANCELLED' | null;
}

export type DeliveryFact =
  | { kind: 'ORDER_PLACED'; plan: DeliveryPlan }
  | { kind: 'STOCK_RESERVED' }
  | { kind: 'STOCK_REJECTED' }
  | { kind: 'ORDER_CANCELLED' };

/** What the change means for the outside world: the event to raise, if any. */
export type DeliveryOutcome = { announce: 'SCHEDULED' } | { announce: 'CANCELLED'; reason: 'STOCK_REJECTED' | 'ORDER_CANCELLED' } | { announce: null };

export const NEW_DELIVERY: DeliveryState = { status: 'PENDING', plan: null, stock: 'UNKNOWN', cancelReason: null };

/**
 * Delivery prepares on order-placed and confirms only once stock is reserved; on a rejection or a
 * cancellation it cancels what it prepared. Facts arrive from two topics in any order and may
 * repeat: the status is derived from the facts known so far, so the result does not depend on
 * their order, and each announcement is made once, on the change that earns it.
 */
export function applyDeliveryFact(state: DeliveryState, fact: DeliveryFact): { state: DeliveryState; outcome: DeliveryOutcome } {
  if (state.status === 'CANCELLED') return { state, outcome: { announce: null } };
  const known: DeliveryState = { ...state };
  switch (fact.kind) {
    case 'ORDER_PLACED':
      known.plan = state.plan ?? fact.plan;
      break;
    case 'STOCK_RESERVED':
      known.stock = state.stock === 'UNKNOWN' ? 'RESERVED' : state.stock;
      break;
    case 'STOCK_REJECTED':
      known.stock = state.stock === 'UNKNOWN' ? 'REJECTED' : state.stock;
      break;
    case 'ORDER_CANCELLED':
      known.cancelReason = 'ORDER_CANCELLED';
      break;
  }
  if (known.stock === 'REJECTED' && !known.cancelReason) known.cancelReason = 'STOCK_REJECTED';
  known.status = known.cancelReason ? 'CANCELLED' : known.plan && known.stock === 'RESERVED' ? 'SCHEDULED' : known.plan ? 'PREPARED' : 'PENDING';

  if (known.status === state.status) return { state: known, outcome: { announce: null } };
  if (known.status === 'SCHEDULED') return { state: known, outcome: { announce: 'SCHEDULED' } };
  if (known.status === 'CANCELLED') return { state: known, outcome: { announce: 'CANCELLED', reason: known.cancelReason! } };
  return { state: known, outcome: { announce: null } };
}
