import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OrderFact, transition } from '@relay/orders/domain';
import { findOrder, recordStatusChange } from '@relay/orders/data-access';

/**
 * Moves an order through its state machine when inventory or delivery report a fact, inside the
 * consumer's processed-events transaction. The order row is locked, so a concurrent cancel and an
 * event never interleave.
 */
@Injectable()
export class ApplyOrderFactUseCase {
  private readonly logger = new Logger(ApplyOrderFactUseCase.name);

  async execute(manager: EntityManager, orderId: string, fact: OrderFact, cause: string): Promise<void> {
    const order = await findOrder(manager, orderId, { lock: true });
    // The order row commits before its first event is published, so a fact about an order this
    // schema does not have is about another deployment's order (several share a cluster's topics,
    // as test stacks do): not ours to track. The audit still reports effects without an order.
    if (!order) {
      this.logger.debug(`no order ${orderId} here for ${cause}; ignored`);
      return;
    }
    const result = transition(order.status, fact);
    if (result.outcome !== 'moved') return;
    await recordStatusChange(manager, orderId, { from: order.status, to: result.to, at: new Date(), cause }, result.reason);
  }
}
