import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { NonRetriableError } from '@relay/messaging';
import { OrderFact, transition } from '@relay/orders/domain';
import { findOrder, recordStatusChange } from '@relay/orders/data-access';

/**
 * Moves an order through its state machine when inventory or delivery report a fact, inside the
 * consumer's processed-events transaction. The order row is locked, so a concurrent cancel and an
 * event never interleave.
 */
@Injectable()
export class ApplyOrderFactUseCase {
  async execute(manager: EntityManager, orderId: string, fact: OrderFact, cause: string): Promise<void> {
    const order = await findOrder(manager, orderId, { lock: true });
    // The order row commits before its first event is published, so an event about an unknown
    // order did not come from this system's flow: park it for a person to look at.
    if (!order) throw new NonRetriableError(`ORDERS.UNKNOWN_ORDER: no order ${orderId} for ${cause}`);
    const result = transition(order.status, fact);
    if (result.outcome !== 'moved') return;
    await recordStatusChange(manager, orderId, { from: order.status, to: result.to, at: new Date(), cause }, result.reason);
  }
}
