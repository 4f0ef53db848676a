import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { createFollowUpEnvelope, DeliveryCancelledV1, DeliveryScheduledV1, EventEnvelope, Topics, TopicProducers } from '@relay/contracts';
import { appendEventsToOutbox, OutboxEntry, outboxEntry } from '@relay/messaging';
import { applyDeliveryFact, DeliveryFact, DeliveryState } from '@relay/delivery/domain';
import { lockDeliveries, saveDeliveries } from '@relay/delivery/data-access';

/** What delivery's events carry as their producer: the one its contracts name (consumers check it). */
export const DELIVERY_PRODUCER = TopicProducers[Topics.deliveryEvents];

/** One fact about an order's delivery, with the event that reported it. */
export interface ReportedDeliveryFact {
  orderId: string;
  fact: DeliveryFact;
  cause: EventEnvelope;
  /** The trace the delivery event continues. */
  traceparent?: string;
}

/**
 * Applies a run of facts about orders to their deliveries, in arrival order, inside the consumer's
 * processed-events transaction, and raises delivery-scheduled or delivery-cancelled through the
 * outbox when a change calls for it. The run's delivery rows are locked up front, so facts from
 * the two topics never interleave; a fixed number of statements per run, whatever its length.
 */
@Injectable()
export class TrackDeliveryUseCase {
  async execute(manager: EntityManager, facts: readonly ReportedDeliveryFact[]): Promise<void> {
    if (facts.length === 0) return;
    const current = await lockDeliveries(manager, facts.map((each) => each.orderId));
    const changed = new Map<string, DeliveryState>();
    const announcements: OutboxEntry[] = [];
    for (const { orderId, fact, cause, traceparent } of facts) {
      const before = changed.get(orderId) ?? current.get(orderId);
      if (!before) throw new Error(`delivery row of order ${orderId} was not locked`);
      const { state, outcome } = applyDeliveryFact(before, fact);
      changed.set(orderId, state);
      if (outcome.announce === 'SCHEDULED' && state.plan) {
        announcements.push(
          outboxEntry(DeliveryScheduledV1, createFollowUpEnvelope(DeliveryScheduledV1, cause, { data: { orderId, ...state.plan }, producer: DELIVERY_PRODUCER }), traceparent),
        );
      } else if (outcome.announce === 'CANCELLED') {
        announcements.push(
          outboxEntry(DeliveryCancelledV1, createFollowUpEnvelope(DeliveryCancelledV1, cause, { data: { orderId, reason: outcome.reason }, producer: DELIVERY_PRODUCER }), traceparent),
        );
      }
    }
    await saveDeliveries(manager, changed);
    await appendEventsToOutbox(manager, announcements);
  }
}
