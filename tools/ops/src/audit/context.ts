import { Db } from '../db';
import { consumedAtStart, KafkaState } from './kafka-state';
import { CONSUMES, publisherOf, ServiceId, SERVICES, topicOf } from './model';
import { OutboxRow, Snapshot } from './snapshot';
import { ScannedTopic, TopicEvent } from './topic-scan';
import { ResolvedAuditOptions } from './types';

/**
 * What every check reads, taken in this order so that each step sees at least what the previous
 * one implies: the broker (end and committed offsets), then the database snapshot, then the
 * topics up to their end.
 */
export interface AuditContext {
  db: Db;
  options: ResolvedAuditOptions;
  kafka: KafkaState;
  snapshot: Snapshot;
  /** Each service's topic, by the service that publishes it. */
  scans: Record<ServiceId, ScannedTopic>;
  /** The events each group applied when the snapshot was taken (applied-events.ts): eventId → type. */
  applied: Record<ServiceId, Map<string, string>>;
}

export function schemaOf(options: ResolvedAuditOptions, service: ServiceId): string {
  return options[service].schema;
}

/** Where a published outbox row's event is on its topic (undefined: not there). */
export function onTopic(context: AuditContext, producer: ServiceId, row: OutboxRow): TopicEvent | undefined {
  return context.scans[producer].events.get(row.eventId);
}

/** Every copy of the event had been consumed by the service's group when the audit started. */
export function consumedByGroup(context: AuditContext, service: ServiceId, event: TopicEvent): boolean {
  const topic = topicOf(publisherOf(event.type)!, context.options.topic);
  for (const [partition, offset] of event.lastOffsets) if (!consumedAtStart(context.kafka, service, topic, partition, offset)) return false;
  return true;
}

/** The order an event is about: from this stack's outboxes, else from the topics. */
export function orderOfEvent(context: AuditContext, eventId: string): string | undefined {
  for (const service of SERVICES) {
    const row = context.snapshot.outbox[service].byEventId.get(eventId);
    if (row) return row.key;
  }
  for (const service of SERVICES) {
    const event = context.scans[service].events.get(eventId);
    if (event) return event.orderId;
  }
  return undefined;
}

/**
 * The event types a service's group applied per order, counting only the types
 * it applies. On shared topics this includes other stacks' events about this stack's orders: the
 * group applied them too.
 */
export function recordedFacts(context: AuditContext, service: ServiceId): Map<string, Set<string>> {
  const facts = new Map<string, Set<string>>();
  for (const [eventId, type] of context.applied[service]) {
    if (!CONSUMES[service].includes(type)) continue;
    const orderId = orderOfEvent(context, eventId);
    if (orderId === undefined) continue;
    const types = facts.get(orderId) ?? new Set<string>();
    types.add(type);
    facts.set(orderId, types);
  }
  return facts;
}

/** This stack produced the order (its orders outbox holds events for it), even if it is gone now. */
export function producedHere(context: AuditContext, orderId: string): boolean {
  return context.snapshot.orders.has(orderId) || context.snapshot.outbox.orders.byKey.has(orderId);
}

export const factList = (facts: ReadonlySet<string> | undefined): string => (facts && facts.size > 0 ? [...facts].sort().join(' ') : 'none');
