import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OrderFact, transition } from '@relay/orders/domain';
import { lockOrderStatuses, RecordedStatusChange, recordStatusChanges } from '@relay/orders/data-access';

/** One fact about an order, with the event type that reported it. */
export interface ReportedOrderFact {
  orderId: string;
  fact: OrderFact;
  cause: string;
}

/**
 * Moves orders through their state machine when inventory or delivery report facts, in arrival
 * order, inside the consumer's processed-events transaction. The run's order rows are locked up
 * front, so a concurrent cancel and an event never interleave; a fixed number of statements per
 * run, whatever its length.
 */
@Injectable()
export class ApplyOrderFactUseCase {
  private readonly logger = new Logger(ApplyOrderFactUseCase.name);

  async execute(manager: EntityManager, facts: readonly ReportedOrderFact[]): Promise<void> {
    const statuses = await lockOrderStatuses(manager, facts.map((each) => each.orderId));
    const changes: RecordedStatusChange[] = [];
    const at = new Date();
    for (const { orderId, fact, cause } of facts) {
      const status = statuses.get(orderId);
      // The order row commits before its first event is published, so a fact about an order this
      // schema does not have is about another deployment's order (several share a cluster's
      // topics, as test stacks do): not ours to track. The audit still reports effects without an order.
      if (!status) {
        this.logger.debug(`no order ${orderId} here for ${cause}; ignored`);
        continue;
      }
      const result = transition(status, fact);
      if (result.outcome !== 'moved') continue;
      changes.push({ orderId, from: status, to: result.to, reason: result.reason, cause, at });
      statuses.set(orderId, result.to);
    }
    await recordStatusChanges(manager, changes);
  }
}
