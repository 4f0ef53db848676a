import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { createFollowUpEnvelope, DeliveryCancelledV1, DeliveryScheduledV1, EventEnvelope, Topics, TopicProducers } from '@relay/contracts';
import { appendEventsToOutbox, OutboxEntry, outboxEntry } from '@relay/messaging';
import { applyDeliveryFact, DeliveryFact, DeliveryState, NEW_DELIVERY } from '@relay/delivery/domain';
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
 * transaction, and raises delivery-scheduled or delivery-cancelled through the outbox when a change
 * calls for it. The run's existing delivery rows are locked up front, so facts from the two topics
 * never interleave; an order's first facts create its row. Two statements per run and one row write
 * per order, whatever its length; two more when a row this run meant to create was created meanwhile
 * by the other topic's run (locked then, and the facts applied again on top of it).
 */
@Injectable()
export class TrackDeliveryUseCase {
  async execute(manager: EntityManager, facts: readonly ReportedDeliveryFact[]): Promise<void> {
    if (facts.length === 0) return;
    let locked = await lockDeliveries(manager, facts.map((each) => each.orderId));
    let applying = facts.map((fact, index) => ({ fact, index }));
    const announced: { index: number; entry: OutboxEntry }[] = [];
    for (let round = 1; applying.length > 0; round++) {
      const { states, announcements } = applyFacts(applying, locked);
      const lost = new Set(await saveDeliveries(manager, states, new Set(locked.keys())));
      announced.push(...announcements.filter((each) => !lost.has(each.orderId)));
      if (lost.size === 0) break;
      // Created by a concurrent run since we looked: it has committed (the insert waited for it).
      const relocked = await lockDeliveries(manager, [...lost]);
      if (round > 1 || relocked.size !== lost.size) throw new Error(`delivery rows of orders ${[...lost].join(', ')} could be neither created nor locked`);
      locked = new Map([...locked, ...relocked]);
      applying = applying.filter((each) => lost.has(each.fact.orderId));
    }
    await appendEventsToOutbox(
      manager,
      announced.sort((a, b) => a.index - b.index).map((each) => each.entry),
    );
  }
}

/** The deliveries' states after these facts, and the events the changes call for, with the index of the fact that raised each. */
function applyFacts(
  facts: ReadonlyArray<{ fact: ReportedDeliveryFact; index: number }>,
  locked: ReadonlyMap<string, DeliveryState>,
): { states: Map<string, DeliveryState>; announcements: { index: number; orderId: string; entry: OutboxEntry }[] } {
  const states = new Map<string, DeliveryState>();
  const announcements: { index: number; orderId: string; entry: OutboxEntry }[] = [];
  for (const { fact: { orderId, fact, cause, traceparent }, index } of facts) {
    // An order without a delivery row starts from the new delivery; saveDeliveries creates the row.
    const before = states.get(orderId) ?? locked.get(orderId) ?? NEW_DELIVERY;
    const { state, outcome } = applyDeliveryFact(before, fact);
    states.set(orderId, state);
    if (outcome.announce === 'SCHEDULED' && state.plan) {
      const event = createFollowUpEnvelope(DeliveryScheduledV1, cause, { data: { orderId, ...state.plan }, producer: DELIVERY_PRODUCER });
      announcements.push({ index, orderId, entry: outboxEntry(DeliveryScheduledV1, event, traceparent) });
    } else if (outcome.announce === 'CANCELLED') {
      const event = createFollowUpEnvelope(DeliveryCancelledV1, cause, { data: { orderId, reason: outcome.reason }, producer: DELIVERY_PRODUCER });
      announcements.push({ index, orderId, entry: outboxEntry(DeliveryCancelledV1, event, traceparent) });
    }
  }
  return { states, announcements };
}
