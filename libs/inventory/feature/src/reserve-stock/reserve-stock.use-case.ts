import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { createFollowUpEnvelope, OrderCancelledV1, OrderPlacedV1, StockRejectedV1, StockReleasedV1, StockReservedV1, Topics, TopicProducers } from '@relay/contracts';
import { appendEventsToOutbox, OutboxEntry, outboxEntry } from '@relay/messaging';
import { applyStockRun, skusOfRun, StockFact } from '@relay/inventory/domain';
import { lockReservations, lockStock, saveReservations, saveReserved } from '@relay/inventory/data-access';

/** What inventory's events carry as their producer: the one its contracts name (consumers check it). */
export const INVENTORY_PRODUCER = TopicProducers[Topics.inventoryEvents];

export interface OrderEventForStock {
  event: OrderPlacedV1 | OrderCancelledV1;
  /** The trace the stock event continues. */
  traceparent?: string;
}

/**
 * Reserves placed orders' stock (each order all lines or none) and gives cancelled orders' stock
 * back, for a run of order events in arrival order, inside the caller's transaction (the
 * consumer's processed-events transaction, so each happens exactly once per event); raises
 * stock-reserved, stock-rejected or stock-released for each through the outbox in the same
 * transaction. Insufficient stock is an outcome published as an event, not an error.
 *
 * A fixed number of statements per run, whatever its length: lock the orders' reservations, lock
 * every SKU the run touches in one sorted statement (so runs of different partitions queue rather
 * than deadlock), then store levels, reservations and events.
 */
@Injectable()
export class ReserveStockUseCase {
  async execute(manager: EntityManager, events: readonly OrderEventForStock[]): Promise<void> {
    if (events.length === 0) return;
    const facts: StockFact[] = events.map(({ event }) =>
      event.type === 'order.placed' ? { kind: 'PLACED', orderId: event.data.orderId, lines: event.data.items } : { kind: 'CANCELLED', orderId: event.data.orderId },
    );
    const known = await lockReservations(manager, facts.map((fact) => fact.orderId));
    const stock = await lockStock(manager, skusOfRun(facts, known));
    const run = applyStockRun(facts, known, stock);
    await saveReserved(manager, run.changed);
    await saveReservations(manager, run.reservations);
    await appendEventsToOutbox(
      manager,
      run.announcements.map((announcement): OutboxEntry => {
        const { event: cause, traceparent } = events[announcement.factIndex];
        const { orderId } = announcement;
        switch (announcement.kind) {
          case 'RESERVED':
            return outboxEntry(StockReservedV1, createFollowUpEnvelope(StockReservedV1, cause, { data: { orderId, lines: announcement.lines }, producer: INVENTORY_PRODUCER }), traceparent);
          case 'REJECTED':
            return outboxEntry(StockRejectedV1, createFollowUpEnvelope(StockRejectedV1, cause, { data: { orderId, reason: announcement.reason }, producer: INVENTORY_PRODUCER }), traceparent);
          case 'RELEASED':
            return outboxEntry(StockReleasedV1, createFollowUpEnvelope(StockReleasedV1, cause, { data: { orderId, lines: announcement.lines }, producer: INVENTORY_PRODUCER }), traceparent);
        }
      }),
    );
  }
}
