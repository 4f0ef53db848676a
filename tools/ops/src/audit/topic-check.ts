import { Kafka } from 'kafkajs';
import { decodeEvent, OrderPlacedV1 } from '@relay/contracts';
import { Db } from '../db';
import { count, plural, progressLine } from '../io';
import { scanTopic, topicOffsets, withAdmin } from '../kafka';
import { existingOrders, OrdersSnapshot } from './orders-snapshot';
import { checkResult, CheckResult, FindingBuilder, ResolvedAuditOptions } from './types';

interface SeenEvent {
  orderId: string;
  partition: number;
  offset: string;
  copies: number;
}

/**
 * (2) Every order.placed event on the topic belongs to an existing order, and every order's
 * published event is on the topic. Reads the topic from the beginning up to its end as of now
 * (after the database snapshot, so every row published by then is within range).
 */
export async function topicCheck(kafka: Kafka, db: Db, snapshot: OrdersSnapshot, options: ResolvedAuditOptions): Promise<CheckResult> {
  const max = options.maxExamples;
  const topic = options.topic;
  const offsets = await withAdmin(kafka, async (admin) => ((await admin.listTopics()).includes(topic) ? topicOffsets(admin, topic) : []));
  const seen = new Map<string, SeenEvent>();
  const undecodable = new FindingBuilder('undecodable', 'messages that do not decode as events (consumers park them on their dead-letter topics)', max);
  const otherTypes = new Map<string, number>();
  let messages = 0;

  options.onProgress(`reading ${topic} (${plural(offsets.reduce((sum, entry) => sum + Number(entry.high - entry.low), 0), 'message')})…`);
  await scanTopic(kafka, {
    topic,
    ranges: offsets.map((entry) => ({ partition: entry.partition, from: entry.low, to: entry.high })),
    onProgress: progressLine({ err: options.onProgress }, (done, total) => `scanned ${count(done)}/${count(total)} messages of ${topic}`),
    onMessage: (partition, message) => {
      messages++;
      const decoded = decodeEvent(message.value);
      if (!decoded.ok) {
        undecodable.add({ partition, offset: message.offset, key: message.key?.toString() ?? null, reason: decoded.reason });
        return;
      }
      if (decoded.contract.pattern !== OrderPlacedV1.pattern) {
        otherTypes.set(decoded.contract.pattern, (otherTypes.get(decoded.contract.pattern) ?? 0) + 1);
        return;
      }
      const { eventId } = decoded.envelope;
      const known = seen.get(eventId);
      if (known) known.copies++;
      else seen.set(eventId, { orderId: (decoded.envelope.data as { orderId: string }).orderId, partition, offset: message.offset, copies: 1 });
    },
  });

  const missing = new FindingBuilder('missing-on-topic', `orders whose published order.placed event is not on ${topic}`, max);
  const orphans = new FindingBuilder('orphan-event', `order.placed events on ${topic} for orders that do not exist`, max);
  const duplicates = new FindingBuilder('duplicates', 'events on the topic more than once (at-least-once publishing; consumers drop the copies)', max);
  const extraIds = new FindingBuilder('extra-event-ids', "order.placed events for existing orders under an eventId their outbox does not hold (e.g. a replay with a fixed value)", max);
  const foreign = new FindingBuilder('foreign', "order.placed events this schema's outbox never produced, for orders it does not have (other stacks on the shared topic)", max);
  const others = new FindingBuilder('other-events', 'other event types on the topic (not audited)', max);
  const truncated = new FindingBuilder('truncated', 'partitions whose oldest messages are gone (retention or deleted records): events published before are reported missing', max);
  for (const entry of offsets) if (entry.low > 0n) truncated.add({ partition: entry.partition, earliestOffset: entry.low.toString() });

  for (const [orderId, events] of snapshot.placedByOrder) {
    if (!snapshot.orders.has(orderId)) continue;
    const event = events[0];
    if (event.publishedAt !== null && !seen.has(event.eventId)) missing.add({ orderId, eventId: event.eventId, publishedAt: event.publishedAt });
  }
  const orphanCandidates: { eventId: string; event: SeenEvent }[] = [];
  for (const [eventId, event] of seen) {
    if (event.copies > 1) duplicates.add({ eventId, orderId: event.orderId, copies: event.copies }, event.copies - 1);
    if (snapshot.orders.has(event.orderId)) {
      if (!snapshot.placedEventIds.has(eventId)) extraIds.add({ orderId: event.orderId, eventId, partition: event.partition, offset: event.offset });
    } else if (options.sharedTopic && !snapshot.placedEventIds.has(eventId)) {
      foreign.add({ orderId: event.orderId, eventId });
    } else {
      orphanCandidates.push({ eventId, event });
    }
  }
  // Orders placed after the snapshot may already have their event on the topic.
  const placedSince = await existingOrders(db, options.ordersSchema, orphanCandidates.map((candidate) => candidate.event.orderId));
  for (const { eventId, event } of orphanCandidates) {
    if (!placedSince.has(event.orderId)) orphans.add({ orderId: event.orderId, eventId, partition: event.partition, offset: event.offset });
  }
  for (const [type, times] of otherTypes) others.add({ type, count: times }, times);

  const placedMessages = [...seen.values()].reduce((sum, event) => sum + event.copies, 0);
  const counts = {
    messages,
    placedMessages,
    placedEvents: seen.size,
    duplicateCopies: duplicates.count,
    otherEvents: others.count,
    undecodable: undecodable.count,
    foreignEvents: foreign.count,
    missingOnTopic: missing.count,
    orphanEvents: orphans.count,
  };
  const summary =
    `scanned ${plural(messages, 'message')}: ${plural(seen.size, 'order.placed event')} (${plural(duplicates.count, 'duplicate copy', 'duplicate copies')}), ` +
    `${count(others.count)} other, ${count(undecodable.count)} undecodable${options.sharedTopic ? `, ${count(foreign.count)} foreign` : ''}`;
  return checkResult('topic', `2. topic: ${topic} holds every order's event and no other order.placed`, summary, counts, [missing, orphans], [truncated, duplicates, extraIds, undecodable, foreign, others]);
}
