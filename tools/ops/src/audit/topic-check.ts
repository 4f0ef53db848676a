import { count, plural } from '../io';
import { AuditContext } from './context';
import { EVENT, PUBLISHES, ServiceId } from './model';
import { existingNow, outboxEventsNow } from './snapshot';
import { TopicEvent } from './topic-scan';
import { checkResult, CheckId, CheckResult, Example, FindingBuilder } from './types';

const CHECK: Record<ServiceId, { id: CheckId; number: number; source: string; table: 'orders' | 'reservations' | 'deliveries' }> = {
  orders: { id: 'topic', number: 2, source: 'order', table: 'orders' },
  inventory: { id: 'inventory-topic', number: 3, source: 'reservation', table: 'reservations' },
  delivery: { id: 'delivery-topic', number: 4, source: 'delivery', table: 'deliveries' },
};

/**
 * (2-4) A service's topic and its outbox agree: every published row is on the topic, and every
 * event on the topic comes from a row of the outbox whose source (order, reservation, delivery)
 * exists. Rows written after the snapshot are looked up again before anything is called missing.
 */
export async function topicCheck(context: AuditContext, producer: ServiceId): Promise<CheckResult> {
  const { snapshot, options, db } = context;
  const scanned = context.scans[producer];
  const outbox = snapshot.outbox[producer];
  const { id, number, source, table } = CHECK[producer];
  const topic = scanned.topic;
  const max = options.maxExamples;
  const types = PUBLISHES[producer].join(', ');
  const sources: Map<string, unknown> = producer === 'orders' ? snapshot.orders : producer === 'inventory' ? snapshot.reservations : snapshot.deliveries;

  const missing = new FindingBuilder('missing-on-topic', `published ${outbox.schema} outbox rows whose event is not on ${topic}`, max);
  const orphans = new FindingBuilder('orphan-event', `events on ${topic} whose ${source} does not exist`, max);
  const noSource = new FindingBuilder('no-source', `events on ${topic} (${types}) that the ${outbox.schema} outbox never held`, max);
  const duplicates = new FindingBuilder('duplicates', 'events on the topic more than once (at-least-once publishing; consumers drop the copies)', max);
  const extraIds = new FindingBuilder('extra-event-ids', `events for existing ${source}s under an eventId the outbox does not hold (e.g. a replay with a fixed value)`, max);
  const foreign = new FindingBuilder('foreign', "events this stack's outbox never produced, about orders it did not produce (other stacks on the shared topic)", max);
  const late = new FindingBuilder('after-snapshot', 'events whose outbox row was written after the database snapshot (in flight)', max);
  const others = new FindingBuilder('other-events', 'events that belong on another topic (not audited here)', max);
  const quarantined = new FindingBuilder('quarantined', `${outbox.schema} outbox events its relay quarantined instead of publishing (a gap of check 1)`, max);
  const truncated = new FindingBuilder('truncated', 'partitions whose oldest messages are gone (retention or deleted records): events published before are reported missing', max);
  for (const entry of scanned.offsets) if (entry.low > 0n) truncated.add({ partition: entry.partition, earliestOffset: entry.low.toString() });

  for (const row of outbox.rows) {
    if (row.quarantine && !scanned.events.has(row.eventId)) quarantined.add({ orderId: row.key, eventId: row.eventId, eventType: row.type, reason: row.quarantine.reason });
    else if (row.publishedAt !== null && !scanned.events.has(row.eventId)) missing.add({ orderId: row.key, eventId: row.eventId, eventType: row.type, publishedAt: row.publishedAt });
  }

  const example = (event: TopicEvent): Example => ({ orderId: event.orderId, eventId: event.eventId, eventType: event.type, partition: event.partition, offset: event.firstOffset.toString() });
  const unknown: TopicEvent[] = [];
  const sourceless: TopicEvent[] = [];
  for (const event of scanned.events.values()) {
    if (event.copies > 1) duplicates.add({ eventId: event.eventId, orderId: event.orderId, eventType: event.type, copies: event.copies }, event.copies - 1);
    if (outbox.byEventId.has(event.eventId)) {
      if (!sources.has(event.orderId)) sourceless.push(event);
    } else {
      unknown.push(event);
    }
  }
  // Rows (and their sources) written after the snapshot may already be on the topic.
  const nowInOutbox = await outboxEventsNow(
    db,
    outbox.schema,
    unknown.map((event) => event.eventId),
  );
  const sourcesNow = await existingNow(db, options[producer].schema, table, [...sourceless, ...unknown].map((event) => event.orderId));
  for (const event of sourceless) if (!sourcesNow.has(event.orderId)) orphans.add(example(event));
  for (const event of unknown) {
    if (nowInOutbox.has(event.eventId) || outbox.afterSnapshot.has(event.eventId)) late.add(example(event));
    else if (sourcesNow.has(event.orderId) && (producer === 'orders' || !options.sharedTopic)) extraIds.add(example(event));
    // Other stacks' services answer every order on a shared topic, this stack's included.
    else if (options.sharedTopic) foreign.add(example(event));
    else if (producer === 'orders') orphans.add(example(event));
    else noSource.add(example(event));
  }
  for (const [type, times] of scanned.misplaced) others.add({ type, count: times }, times);

  const byType = new Map<string, { events: number; messages: number }>();
  for (const event of scanned.events.values()) {
    const entry = byType.get(event.type) ?? { events: 0, messages: 0 };
    entry.events++;
    entry.messages += event.copies;
    byType.set(event.type, entry);
  }
  const counts: Record<string, number> = {
    messages: scanned.messages,
    events: scanned.events.size,
    duplicateCopies: duplicates.count,
    otherEvents: others.count,
    undecodable: scanned.undecodable.count,
    foreignEvents: foreign.count,
    missingOnTopic: missing.count,
    orphanEvents: orphans.count,
  };
  if (producer === 'orders') {
    counts.placedEvents = byType.get(EVENT.placed)?.events ?? 0;
    counts.placedMessages = byType.get(EVENT.placed)?.messages ?? 0;
  }
  const typeSummary = PUBLISHES[producer].map((type) => `${count(byType.get(type)?.events ?? 0)} ${type}`).join(', ');
  const summary = scanned.exists
    ? `scanned ${plural(scanned.messages, 'message')}: ${typeSummary} (${plural(duplicates.count, 'duplicate copy', 'duplicate copies')}), ` +
      `${count(others.count)} other, ${count(scanned.undecodable.count)} undecodable${options.sharedTopic ? `, ${count(foreign.count)} foreign` : ''}`
    : `${topic} does not exist yet (nothing was ever published to it)`;
  return checkResult(
    id,
    `${number}. ${producer === 'orders' ? 'topic' : `${producer} topic`}: ${topic} holds every published ${outbox.schema} outbox event, each from an existing ${source}`,
    summary,
    counts,
    [missing, orphans, noSource],
    [quarantined, truncated, duplicates, extraIds, scanned.undecodable, foreign, late, others],
  );
}
