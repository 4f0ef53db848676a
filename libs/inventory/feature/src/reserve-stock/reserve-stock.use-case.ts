import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DataOf, OrderPlacedV1 } from '@relay/contracts';
import { decideReservation, ReservationDecision } from '@relay/inventory/domain';
import { lockStock, ReservationEntity, saveStock } from '@relay/inventory/data-access';

/**
 * Reserves an order's stock, all lines or none, inside the caller's transaction (the consumer's
 * processed-events transaction, so the reservation happens exactly once per event).
 */
@Injectable()
export class ReserveStockUseCase {
  async execute(manager: EntityManager, order: DataOf<typeof OrderPlacedV1>): Promise<ReservationDecision['status']> {
    // An order is reserved at most once, even if its event were published twice with two ids.
    const existing = await manager.findOne(ReservationEntity, { where: { orderId: order.orderId } });
    if (existing) return existing.status as ReservationDecision['status'];

    const stock = await lockStock(manager, order.items.map((line) => line.sku));
    const decision = decideReservation(order.items, stock);
    if (decision.status === 'RESERVED') await saveStock(manager, decision.stock);
    await manager.insert(ReservationEntity, {
      orderId: order.orderId,
      status: decision.status,
      lines: order.items,
      reason: decision.status === 'REJECTED' ? { ...decision.reason } : null,
    });
    return decision.status;
  }
}
