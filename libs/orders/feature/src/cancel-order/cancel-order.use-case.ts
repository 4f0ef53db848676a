import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createEnvelope, OrderCancelledV1 } from '@relay/contracts';
import { appendToOutbox } from '@relay/messaging';
import { currentWorkContext } from '@relay/service-runtime';
import { Order, transition } from '@relay/orders/domain';
import { findOrder, recordStatusChanges } from '@relay/orders/data-access';
import { ORDERS_PRODUCER } from '../place-order/place-order.use-case';

export type CancelOrderOutcome =
  | { kind: 'cancelled'; order: Order }
  | { kind: 'already-cancelled'; order: Order }
  | { kind: 'refused'; code: string; message: string; order: Order }
  | { kind: 'not-found' };

/**
 * Cancels an order that has not shipped, if `allowed` (the caller may act for its customer): an
 * order the caller may not touch is `not-found`, like one that does not exist. The status change and the order-cancelled event commit
 * together; inventory then releases the stock and delivery cancels. A second cancel is a no-op.
 */
@Injectable()
export class CancelOrderUseCase {
  constructor(private readonly dataSource: DataSource) {}

  execute(orderId: string, reason: string, allowed: (order: Order) => boolean = () => true): Promise<CancelOrderOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const order = await findOrder(manager, orderId, { lock: true });
      if (!order || !allowed(order)) return { kind: 'not-found' };
      const result = transition(order.status, { kind: 'CANCEL_REQUESTED', reason });
      if (result.outcome === 'unchanged') return { kind: 'already-cancelled', order };
      if (result.outcome === 'refused') return { kind: 'refused', code: result.code, message: result.message, order };
      const now = new Date();
      await recordStatusChanges(manager, [{ orderId: order.id, from: order.status, to: result.to, reason: result.reason, cause: 'api', at: now }]);
      await appendToOutbox(
        manager,
        OrderCancelledV1,
        createEnvelope(OrderCancelledV1, {
          data: { orderId: order.id, reason, cancelledAt: now.toISOString() },
          producer: ORDERS_PRODUCER,
          correlationId: currentWorkContext()?.correlationId ?? order.id,
          occurredAt: now,
        }),
      );
      return { kind: 'cancelled', order: { ...order, status: result.to, statusReason: result.reason, updatedAt: now } };
    });
  }
}
