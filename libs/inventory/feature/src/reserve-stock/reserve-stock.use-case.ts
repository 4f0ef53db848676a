import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { createFollowUpEnvelope, OrderPlacedV1, StockRejectedV1, StockReservedV1 } from '@relay/contracts';
import { appendEventsToOutbox, outboxEntry } from '@relay/messaging';
import { decideReservations } from '@relay/inventory/domain';
import { insertReservations, lockStock, ordersWithReservation, saveReserved } from '@relay/inventory/data-access';

export const INVENTORY_PRODUCER = 'inventory';

export interface PlacedOrder {
  event: OrderPlacedV1;
  /** The trace the stock event continues. */
  traceparent?: string;
}

/**
 * Reserves a run of orders' stock, each order all lines or none, in arrival order, inside the
 * caller's transaction (the consumer's processed-events transaction, so each reservation happens
 * exactly once per event), and raises stock-reserved or stock-rejected for each through the
 * outbox in the same transaction. Insufficient stock is an outcome published as an event, not an
 * error. A fixed number of statements per run, whatever its length: find decided orders, lock the
 * SKUs (sorted), store the new levels, the reservations and the events.
 */
@Injectable()
export class ReserveStockUseCase {
  async execute(manager: EntityManager, placed: readonly PlacedOrder[]): Promise<void> {
    // One decision per order, even if its event were published twice with two ids, or the order
    // was cancelled before this event was processed.
    const decided = await ordersWithReservation(manager, placed.map(({ event }) => event.data.orderId));
    const fresh = placed.filter(({ event }) => {
      if (decided.has(event.data.orderId)) return false;
      decided.add(event.data.orderId);
      return true;
    });
    if (fresh.length === 0) return;
    const stock = await lockStock(manager, fresh.flatMap(({ event }) => event.data.items.map((line) => line.sku)));
    const run = decideReservations(fresh.map(({ event }) => ({ orderId: event.data.orderId, lines: event.data.items })), stock);
    await saveReserved(manager, run.changed);
    await insertReservations(
      manager,
      run.decisions.map(({ orderId, decision }, index) => ({
        orderId,
        status: decision.status,
        lines: fresh[index].event.data.items,
        reason: decision.status === 'REJECTED' ? { ...decision.reason } : null,
      })),
    );
    await appendEventsToOutbox(
      manager,
      run.decisions.map(({ orderId, decision }, index) => {
        const { event, traceparent } = fresh[index];
        return decision.status === 'RESERVED'
          ? outboxEntry(StockReservedV1, createFollowUpEnvelope(StockReservedV1, event, { data: { orderId, lines: event.data.items }, producer: INVENTORY_PRODUCER }), traceparent)
          : outboxEntry(StockRejectedV1, createFollowUpEnvelope(StockRejectedV1, event, { data: { orderId, reason: decision.reason }, producer: INVENTORY_PRODUCER }), traceparent);
      }),
    );
  }
}
