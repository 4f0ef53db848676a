import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DataOf, OrderPlacedV1 } from '@relay/contracts';
import { planDelivery } from '@relay/delivery/domain';
import { DeliveryEntity } from '@relay/delivery/data-access';

/** Schedules an order's delivery inside the consumer's processed-events transaction. */
@Injectable()
export class ScheduleDeliveryUseCase {
  async execute(manager: EntityManager, order: DataOf<typeof OrderPlacedV1>): Promise<void> {
    const plan = planDelivery(order.orderId, new Date(order.placedAt));
    // One delivery per order, even if its event were published twice with two ids.
    await manager
      .createQueryBuilder()
      .insert()
      .into(DeliveryEntity)
      .values({ orderId: plan.orderId, status: plan.status, deliveryDate: plan.deliveryDate, timeWindow: plan.timeWindow })
      .orIgnore()
      .execute();
  }
}
