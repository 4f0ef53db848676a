/**
 * Who is calling, from a verified token. A token whose `roles` include `admin` is an operator's;
 * any other token is a customer's, and its `sub` is the customer id.
 */
export interface Principal {
  subject: string;
  roles: readonly string[];
}

export const ADMIN_ROLE = 'admin';

export function isAdmin(principal: Principal): boolean {
  return principal.roles.includes(ADMIN_ROLE);
}

/** Whether `principal` may see and act on what belongs to `customerId`: its own things, or anything for an admin. */
export function mayActFor(principal: Principal, customerId: string): boolean {
  return isAdmin(principal) || principal.subject === customerId;
}

/**
 * The customer a request is scoped to: a customer sees only its own (whatever it asked for); an
 * admin sees what it asked for, or everything (undefined).
 */
export function customerScope(principal: Principal, requested: string | undefined): string | undefined {
  return isAdmin(principal) ? requested : principal.subject;
}
