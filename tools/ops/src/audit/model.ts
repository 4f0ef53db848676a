import {
  DeliveryCancelledV1,
  DeliveryScheduledV1,
  OrderCancelledV1,
  OrderPlacedV1,
  StockRejectedV1,
  StockReleasedV1,
  StockReservedV1,
  Topics,
} from '@relay/contracts';

/**
 * What the audit holds the system to, written from the event catalogue (docs/events.md) rather
 * than imported from the services: an oracle that shares the code it checks would share its bugs.
 */

export type ServiceId = 'orders' | 'inventory' | 'delivery';
export const SERVICES: readonly ServiceId[] = ['orders', 'inventory', 'delivery'];

export const EVENT = {
  placed: OrderPlacedV1.pattern,
  cancelled: OrderCancelledV1.pattern,
  reserved: StockReservedV1.pattern,
  rejected: StockRejectedV1.pattern,
  released: StockReleasedV1.pattern,
  scheduled: DeliveryScheduledV1.pattern,
  deliveryCancelled: DeliveryCancelledV1.pattern,
} as const;

/** The event types each service publishes (through its outbox, onto its own topic). */
export const PUBLISHES: Record<ServiceId, readonly string[]> = {
  orders: [EVENT.placed, EVENT.cancelled],
  inventory: [EVENT.reserved, EVENT.rejected, EVENT.released],
  delivery: [EVENT.scheduled, EVENT.deliveryCancelled],
};

/** The event types each service's consumer group applies (records in processed_events). */
export const CONSUMES: Record<ServiceId, readonly string[]> = {
  orders: [EVENT.reserved, EVENT.rejected, EVENT.scheduled, EVENT.deliveryCancelled],
  inventory: [EVENT.placed, EVENT.cancelled],
  delivery: [EVENT.placed, EVENT.cancelled, EVENT.reserved, EVENT.rejected],
};

/** The topic each service publishes to; the orders one can be overridden (`--topic`). */
export function topicOf(service: ServiceId, ordersTopic: string): string {
  if (service === 'orders') return ordersTopic;
  return service === 'inventory' ? Topics.inventoryEvents : Topics.deliveryEvents;
}

export function publisherOf(type: string): ServiceId | undefined {
  return SERVICES.find((service) => PUBLISHES[service].includes(type));
}

/** The services whose groups apply events of `type`. */
export function consumersOf(type: string): ServiceId[] {
  return SERVICES.filter((service) => CONSUMES[service].includes(type));
}

/** The topics a service's group reads: those of the services publishing what it consumes. */
export function topicsReadBy(service: ServiceId, ordersTopic: string): string[] {
  const producers = new Set(CONSUMES[service].map((type) => publisherOf(type)!));
  return SERVICES.filter((producer) => producers.has(producer)).map((producer) => topicOf(producer, ordersTopic));
}

/** Event types a group has recorded for one order. */
export type Facts = ReadonlySet<string>;

const unique = (values: string[]) => [...new Set(values)].sort();

/**
 * The statuses an order may have given the facts the orders group recorded for it and whether the
 * customer cancelled it (its order.cancelled is in the outbox, written with the status). Facts
 * arrive from two topics in any order; the order moves forward only. Two stock decisions for one
 * order (another stack's inventory answering on a shared topic) allow either outcome.
 */
export function allowedOrderStatuses(facts: Facts, cancelledByCustomer: boolean): string[] {
  // A cancel is refused once rejected, so one that happened made the order CANCELLED for good.
  if (cancelledByCustomer) return ['CANCELLED'];
  const advanced = facts.has(EVENT.scheduled) ? 'SCHEDULED' : facts.has(EVENT.reserved) ? 'CONFIRMED' : 'PENDING';
  if (!facts.has(EVENT.rejected)) return [advanced];
  // A rejection applies only to a PENDING order: alone it rejects; after a reservation it does nothing.
  return advanced === 'PENDING' ? ['REJECTED'] : unique(['REJECTED', advanced]);
}

/**
 * The reservation statuses inventory may hold given the order events its group recorded; null
 * when it recorded none (then it holds no reservation). A decision is RESERVED or REJECTED; a
 * cancellation releases a reservation, leaves a rejection, and marks an order not seen yet.
 */
export function allowedReservationStatuses(facts: Facts): string[] | null {
  const placed = facts.has(EVENT.placed);
  const cancelled = facts.has(EVENT.cancelled);
  if (!placed && !cancelled) return null;
  if (!cancelled) return ['REJECTED', 'RESERVED'];
  return placed ? ['CANCELLED', 'REJECTED', 'RELEASED'] : ['CANCELLED'];
}

export interface StockEventCounts {
  reserved: number;
  rejected: number;
  released: number;
}

/** The stock events inventory raises over a reservation's life, by its status (none without one). */
export function expectedStockEvents(status: string | undefined): StockEventCounts {
  switch (status) {
    case 'RESERVED':
      return { reserved: 1, rejected: 0, released: 0 };
    case 'REJECTED':
      return { reserved: 0, rejected: 1, released: 0 };
    case 'RELEASED':
      return { reserved: 1, rejected: 0, released: 1 };
    default:
      // CANCELLED (cancelled before it was placed: never decided) or no reservation.
      return { reserved: 0, rejected: 0, released: 0 };
  }
}

/**
 * The delivery statuses delivery may hold given the order and stock events its group recorded;
 * empty when it recorded none (then it holds no delivery). Any fact creates the row: PENDING
 * (stock known, order not yet), PREPARED (order, no stock yet), SCHEDULED (both), CANCELLED (stock
 * rejected or order cancelled; final). The first stock decision counts, so two of them (another
 * stack's inventory on a shared topic) allow either outcome.
 */
export function allowedDeliveryStatuses(facts: Facts): string[] {
  if (![EVENT.placed, EVENT.cancelled, EVENT.reserved, EVENT.rejected].some((type) => facts.has(type))) return [];
  if (facts.has(EVENT.cancelled)) return ['CANCELLED'];
  const planned = facts.has(EVENT.placed);
  const withReservation = facts.has(EVENT.reserved) ? (planned ? 'SCHEDULED' : 'PENDING') : planned ? 'PREPARED' : 'PENDING';
  if (!facts.has(EVENT.rejected)) return [withReservation];
  return facts.has(EVENT.reserved) ? unique(['CANCELLED', withReservation]) : ['CANCELLED'];
}

export interface DeliveryEventCounts {
  scheduled: number;
  cancelled: number;
}

/** Delivery announces each change once: SCHEDULED once; CANCELLED once, possibly after SCHEDULED. */
export function deliveryEventsFit(status: string | undefined, counts: DeliveryEventCounts): boolean {
  switch (status) {
    case 'SCHEDULED':
      return counts.scheduled === 1 && counts.cancelled === 0;
    case 'CANCELLED':
      return counts.scheduled <= 1 && counts.cancelled === 1;
    default:
      return counts.scheduled === 0 && counts.cancelled === 0;
  }
}

export const FINAL_ORDER_STATUSES: readonly string[] = ['SCHEDULED', 'REJECTED', 'CANCELLED'];

/**
 * Once nothing about an order is left to publish or consume, the three services agree on its end:
 * reserved → the delivery is scheduled and so is the order; rejected → the delivery is cancelled
 * and the order rejected; cancelled by the customer → stock given back (or never taken) and the
 * delivery cancelled. Null for a status that is never final (PENDING, CONFIRMED).
 */
export function finalExpectation(orderStatus: string): { reservation: string[]; delivery: string[] } | null {
  switch (orderStatus) {
    case 'SCHEDULED':
      return { reservation: ['RESERVED'], delivery: ['SCHEDULED'] };
    case 'REJECTED':
      return { reservation: ['REJECTED'], delivery: ['CANCELLED'] };
    case 'CANCELLED':
      return { reservation: ['CANCELLED', 'REJECTED', 'RELEASED'], delivery: ['CANCELLED'] };
    default:
      return null;
  }
}
