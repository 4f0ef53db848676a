import { Kafka, KafkaMessage } from 'kafkajs';
import { RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER, RELAY_XID_HEADER } from '@relay/messaging';
import { decodeEvent, Topics } from '@relay/contracts';
import { count, plural, progressLine } from '../io';
import { PartitionOffsets, scanTopic, topicOffsets, withAdmin } from '../kafka';
import { FindingBuilder, ResolvedAuditOptions } from './types';

/** One event (eventId) as found on a topic: where its copies are. */
export interface TopicEvent {
  eventId: string;
  type: string;
  orderId: string;
  /** Partition and offset of its first copy. */
  partition: number;
  firstOffset: bigint;
  /** The offset of its last copy in each partition holding one (copies share the key, so normally one partition). */
  lastOffsets: Map<number, bigint>;
  copies: number;
  /** Where each copy is, in the order read (a relay's second copy, a replay: each is one). */
  copiesAt: EventCopy[];
  /** Who published the first copy, and when (from its headers and Kafka timestamp). */
  published: PublishedBy;
}

/** A copy's provenance headers (absent on events published without them) and its Kafka timestamp. */
export interface PublishedBy {
  producer?: string;
  sequence?: string;
  /** The writing transaction's id (WAL outbox events). */
  xid?: number;
  /** ISO-8601. */
  at: string;
}

/** One copy of an event on its topic. */
export interface EventCopy {
  partition: number;
  offset: bigint;
}

export interface ScannedTopic {
  topic: string;
  exists: boolean;
  /** Watermarks when the scan started (after the database snapshot). */
  offsets: PartitionOffsets[];
  messages: number;
  /** Decodable events whose type belongs on this topic, by eventId. */
  events: Map<string, TopicEvent>;
  undecodable: FindingBuilder;
  /** Decodable events of types that belong on another topic, by type. */
  misplaced: Map<string, number>;
}

/**
 * Reads a topic from its earliest offset to its end as of now, with a throw-away consumer group.
 * Run after the database snapshot: every row published by then is within range.
 */
export async function readTopic(kafka: Kafka, topic: string, options: ResolvedAuditOptions): Promise<ScannedTopic> {
  const offsets = await withAdmin(kafka, async (admin) => ((await admin.listTopics()).includes(topic) ? topicOffsets(admin, topic) : null));
  const scanned: ScannedTopic = {
    topic,
    exists: offsets !== null,
    offsets: offsets ?? [],
    messages: 0,
    events: new Map(),
    undecodable: new FindingBuilder('undecodable', 'messages that do not decode as events (consumers park them on their dead-letter topics)', options.maxExamples),
    misplaced: new Map(),
  };
  if (!offsets) return scanned;
  options.onProgress(`reading ${topic} (${plural(offsets.reduce((sum, entry) => sum + Number(entry.high - entry.low), 0), 'message')})…`);
  await scanTopic(kafka, {
    topic,
    ranges: offsets.map((entry) => ({ partition: entry.partition, from: entry.low, to: entry.high })),
    onProgress: progressLine({ err: options.onProgress }, (done, total) => `scanned ${count(done)}/${count(total)} messages of ${topic}`),
    onMessage: (partition, message) => {
      scanned.messages++;
      const decoded = decodeEvent(message.value);
      if (!decoded.ok) {
        scanned.undecodable.add({ partition, offset: message.offset, key: message.key?.toString() ?? null, reason: decoded.reason });
        return;
      }
      const type = decoded.contract.pattern;
      // Order events belong on the audited order topic (--topic), whatever its name.
      const home = decoded.contract.topic === Topics.orderEvents ? options.topic : decoded.contract.topic;
      if (home !== topic) {
        scanned.misplaced.set(type, (scanned.misplaced.get(type) ?? 0) + 1);
        return;
      }
      const { eventId } = decoded.envelope;
      const offset = BigInt(message.offset);
      const copy: EventCopy = { partition, offset };
      const known = scanned.events.get(eventId);
      if (known) {
        known.copies++;
        known.copiesAt.push(copy);
        if (offset > (known.lastOffsets.get(partition) ?? -1n)) known.lastOffsets.set(partition, offset);
        return;
      }
      const orderId = (decoded.envelope.data as { orderId?: unknown }).orderId;
      scanned.events.set(eventId, {
        eventId,
        type,
        orderId: typeof orderId === 'string' ? orderId : (message.key?.toString() ?? ''),
        partition,
        firstOffset: offset,
        lastOffsets: new Map([[partition, offset]]),
        copies: 1,
        copiesAt: [copy],
        published: publishedBy(message),
      });
    },
  });
  return scanned;
}

function publishedBy(message: KafkaMessage): PublishedBy {
  const header = (name: string) => message.headers?.[name]?.toString();
  const xid = header(RELAY_XID_HEADER);
  return {
    producer: header(RELAY_PRODUCER_HEADER),
    sequence: header(RELAY_SEQUENCE_HEADER),
    xid: xid !== undefined && /^\d{1,10}$/.test(xid) ? Number(xid) : undefined,
    at: new Date(Number(message.timestamp)).toISOString(),
  };
}
