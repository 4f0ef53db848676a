import { EntityManager } from 'typeorm';
import { DeliveryState, NEW_DELIVERY } from '@relay/delivery/domain';
import { DeliveryEntity } from './delivery.entity';

/** Reads an order's delivery state and locks its row (created if missing) until the transaction ends. */
export async function lockDelivery(manager: EntityManager, orderId: string): Promise<DeliveryState> {
  await manager
    .createQueryBuilder()
    .insert()
    .into(DeliveryEntity)
    .values({ orderId, status: NEW_DELIVERY.status, stockStatus: NEW_DELIVERY.stock })
    .orIgnore()
    .execute();
  const row = await manager.findOneOrFail(DeliveryEntity, { where: { orderId }, lock: { mode: 'pessimistic_write' } });
  return {
    status: row.status as DeliveryState['status'],
    plan: row.deliveryDate && row.timeWindow && row.route ? { deliveryDate: row.deliveryDate, timeWindow: row.timeWindow, route: row.route } : null,
    stock: row.stockStatus as DeliveryState['stock'],
    cancelReason: row.cancelReason as DeliveryState['cancelReason'],
  };
}

export async function saveDelivery(manager: EntityManager, orderId: string, state: DeliveryState): Promise<void> {
  await manager.update(
    DeliveryEntity,
    { orderId },
    {
      status: state.status,
      deliveryDate: state.plan?.deliveryDate ?? null,
      timeWindow: state.plan?.timeWindow ?? null,
      route: state.plan?.route ?? null,
      stockStatus: state.stock,
      cancelReason: state.cancelReason,
      updatedAt: new Date(),
    },
  );
}
