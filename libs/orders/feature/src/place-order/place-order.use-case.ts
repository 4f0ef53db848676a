import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createEnvelope, OrderPlacedV1 } from '@relay/contracts';
import { appendToOutbox } from '@relay/messaging';
import { PlaceOrderCommand, PlaceOrderResult, placeOrder } from '@relay/orders/domain';
import { insertOrder } from '@relay/orders/data-access';

export const ORDERS_PRODUCER = 'orders';

/**
 * Stores a new order and its order-placed event in one transaction (transactional outbox): the
 * event exists if and only if the order does. Publishing is the relay's job, never the request's,
 * so a request succeeds while Kafka is down and its event follows once Kafka is back.
 */
@Injectable()
export class PlaceOrderUseCase {
  constructor(private readonly dataSource: DataSource) {}

  async execute(command: PlaceOrderCommand): Promise<PlaceOrderResult> {
    const result = placeOrder(command, { id: randomUUID(), now: new Date() });
    if (!result.ok) return result;
    const { order } = result;
    const event = createEnvelope(OrderPlacedV1, {
      data: { orderId: order.id, customerId: order.customerId, items: order.items, placedAt: order.createdAt.toISOString() },
      producer: ORDERS_PRODUCER,
      correlationId: order.id,
      occurredAt: order.createdAt,
    });
    await this.dataSource.transaction(async (manager) => {
      await insertOrder(manager, order);
      await appendToOutbox(manager, OrderPlacedV1, event);
    });
    return result;
  }
}
