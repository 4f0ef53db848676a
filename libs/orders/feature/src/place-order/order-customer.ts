import { isAdmin, Principal } from '@relay/service-runtime';

export type OrderCustomer = { ok: true; customerId: string } | { ok: false; problem: string };

/**
 * Whose order a POST /orders places. A customer's token places its own: the customer id is the
 * token's subject; a body `customerId` may be left out, and if given must be that same id (a
 * different one is refused rather than ignored, so a client bug shows instead of placing the order
 * for someone it did not mean). An admin places on a customer's behalf, so it names the customer.
 */
export function orderCustomer(caller: Principal, bodyCustomerId: string | undefined): OrderCustomer {
  if (isAdmin(caller)) {
    return bodyCustomerId === undefined ? { ok: false, problem: 'customerId is required when an admin places an order' } : { ok: true, customerId: bodyCustomerId };
  }
  if (bodyCustomerId !== undefined && bodyCustomerId !== caller.subject) {
    return { ok: false, problem: "customerId must be the caller's own (the token's subject), or left out" };
  }
  return { ok: true, customerId: caller.subject };
}
