import { createHash } from 'node:crypto';

export type DeliveryStatus = 'SCHEDULED';

export interface DeliveryPlan {
  orderId: string;
  status: DeliveryStatus;
  /** The calendar day (UTC) of delivery: the day after the order was placed. */
  deliveryDate: string;
  /** A two-hour window, spread over the day by order so vans are not all loaded at once. */
  timeWindow: string;
}

export const TIME_WINDOWS = ['08:00-10:00', '10:00-12:00', '12:00-14:00', '14:00-16:00', '16:00-18:00'] as const;

/**
 * Plans a delivery. Deterministic (the same order always gets the same plan), so a redelivered
 * event or a replay can never move a delivery.
 */
export function planDelivery(orderId: string, placedAt: Date): DeliveryPlan {
  const day = new Date(Date.UTC(placedAt.getUTCFullYear(), placedAt.getUTCMonth(), placedAt.getUTCDate() + 1));
  const bucket = createHash('sha256').update(orderId).digest().readUInt32BE(0) % TIME_WINDOWS.length;
  return { orderId, status: 'SCHEDULED', deliveryDate: day.toISOString().slice(0, 10), timeWindow: TIME_WINDOWS[bucket] };
}
