import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { createFollowUpEnvelope, OrderPlacedV1, StockRejectedV1, StockReservedV1 } from '@relay/contracts';
import { appendToOutbox } from '@relay/messaging';
import { decideReservation } from '@relay/inventory/domain';
import { lockStock, ReservationEntity, saveStock } from '@relay/inventory/data-access';

export const INVENTORY_PRODUCER = 'inventory';

/**
 * Reserves an order's stock, all lines or none, inside the caller's transaction (the consumer's
 * processed-events transaction, so the reservation happens exactly once per event), and raises
 * stock-reserved or stock-rejected through the outbox in the same transaction. Insufficient stock
 * is an outcome published as an event, not an error.
 */
@Injectable()
export class ReserveStockUseCase {
  async execute(manager: EntityManager, event: OrderPlacedV1): Promise<void> {
    const order = event.data;
    // One decision per order, even if its event were published twice with two ids, or the order
    // was cancelled before this event was processed.
    const existing = await manager.findOne(ReservationEntity, { where: { orderId: order.orderId } });
    if (existing) return;

    const stock = await lockStock(manager, order.items.map((line) => line.sku));
    const decision = decideReservation(order.items, stock);
    if (decision.status === 'RESERVED') await saveStock(manager, decision.stock);
    await manager.insert(ReservationEntity, {
      orderId: order.orderId,
      status: decision.status,
      lines: order.items,
      reason: decision.status === 'REJECTED' ? { ...decision.reason } : null,
    });
    if (decision.status === 'RESERVED') {
      await appendToOutbox(manager, StockReservedV1, createFollowUpEnvelope(StockReservedV1, event, { data: { orderId: order.orderId, lines: order.items }, producer: INVENTORY_PRODUCER }));
    } else {
      await appendToOutbox(manager, StockRejectedV1, createFollowUpEnvelope(StockRejectedV1, event, { data: { orderId: order.orderId, reason: decision.reason }, producer: INVENTORY_PRODUCER }));
    }
  }
}
