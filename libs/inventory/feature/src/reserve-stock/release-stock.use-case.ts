import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { createFollowUpEnvelope, OrderCancelledV1, StockReleasedV1 } from '@relay/contracts';
import { appendToOutbox } from '@relay/messaging';
import { releaseReservation } from '@relay/inventory/domain';
import { lockStock, ReservationEntity, saveStock } from '@relay/inventory/data-access';
import { INVENTORY_PRODUCER } from './reserve-stock.use-case';

/**
 * Gives back a cancelled order's stock and raises stock-released. A cancel that arrives before
 * the order (impossible on one partition, but cheap to survive) leaves a CANCELLED marker, so the
 * late order is never reserved.
 */
@Injectable()
export class ReleaseStockUseCase {
  async execute(manager: EntityManager, event: OrderCancelledV1): Promise<void> {
    const orderId = event.data.orderId;
    const reservation = await manager.findOne(ReservationEntity, { where: { orderId }, lock: { mode: 'pessimistic_write' } });
    if (!reservation) {
      await manager.insert(ReservationEntity, { orderId, status: 'CANCELLED', lines: [], reason: { code: 'ORDERS.CANCELLED_BY_CUSTOMER' } });
      return;
    }
    if (reservation.status !== 'RESERVED') return;
    const stock = await lockStock(manager, reservation.lines.map((line) => line.sku));
    await saveStock(manager, releaseReservation(reservation.lines, stock));
    await manager.update(ReservationEntity, { orderId }, { status: 'RELEASED' });
    await appendToOutbox(manager, StockReleasedV1, createFollowUpEnvelope(StockReleasedV1, event, { data: { orderId, lines: reservation.lines }, producer: INVENTORY_PRODUCER }));
  }
}
