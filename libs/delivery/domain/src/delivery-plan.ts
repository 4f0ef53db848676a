import { createHash } from 'node:crypto';

export interface Address {
  line1: string;
  city: string;
  postalCode: string;
  country: string;
}

export interface DeliveryPlan {
  /** The calendar day (UTC) of delivery: the day after the order was placed. */
  deliveryDate: string;
  /** A two-hour window, spread over the day by order so vans are not all loaded at once. */
  timeWindow: string;
  /** The van round, by postal code; orders without an address go to the depot pickup route. */
  route: string;
}

export const TIME_WINDOWS = ['08:00-10:00', '10:00-12:00', '12:00-14:00', '14:00-16:00', '16:00-18:00'] as const;
export const ROUTES = 12;
export const PICKUP_ROUTE = 'PICKUP';

const bucket = (value: string, size: number) => createHash('sha256').update(value).digest().readUInt32BE(0) % size;

/**
 * Plans a delivery. Deterministic (the same order always gets the same plan), so a redelivered
 * event or a replay can never move a delivery.
 */
export function planDelivery(orderId: string, placedAt: Date, address?: Address): DeliveryPlan {
  const day = new Date(Date.UTC(placedAt.getUTCFullYear(), placedAt.getUTCMonth(), placedAt.getUTCDate() + 1));
  const route = address ? `${address.country}-R${String(bucket(`${address.country}:${address.postalCode.replace(/\s+/g, '').toUpperCase()}`, ROUTES) + 1).padStart(2, '0')}` : PICKUP_ROUTE;
  return { deliveryDate: day.toISOString().slice(0, 10), timeWindow: TIME_WINDOWS[bucket(orderId, TIME_WINDOWS.length)], route };
}
