import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { createFollowUpEnvelope, DeliveryCancelledV1, DeliveryScheduledV1, EventEnvelope } from '@relay/contracts';
import { appendToOutbox } from '@relay/messaging';
import { applyDeliveryFact, DeliveryFact } from '@relay/delivery/domain';
import { lockDelivery, saveDelivery } from '@relay/delivery/data-access';

export const DELIVERY_PRODUCER = 'delivery';

/**
 * Applies one fact about an order to its delivery, inside the consumer's processed-events
 * transaction, and raises delivery-scheduled or delivery-cancelled through the outbox when the
 * change calls for it. The delivery row is locked, so facts from the two topics never interleave.
 */
@Injectable()
export class TrackDeliveryUseCase {
  async execute(manager: EntityManager, orderId: string, fact: DeliveryFact, cause: EventEnvelope): Promise<void> {
    const current = await lockDelivery(manager, orderId);
    const { state, outcome } = applyDeliveryFact(current, fact);
    await saveDelivery(manager, orderId, state);
    if (outcome.announce === 'SCHEDULED' && state.plan) {
      await appendToOutbox(manager, DeliveryScheduledV1, createFollowUpEnvelope(DeliveryScheduledV1, cause, { data: { orderId, ...state.plan }, producer: DELIVERY_PRODUCER }));
    } else if (outcome.announce === 'CANCELLED') {
      await appendToOutbox(manager, DeliveryCancelledV1, createFollowUpEnvelope(DeliveryCancelledV1, cause, { data: { orderId, reason: outcome.reason }, producer: DELIVERY_PRODUCER }));
    }
  }
}
