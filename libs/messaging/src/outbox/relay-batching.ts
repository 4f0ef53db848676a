import { OutgoingRecord, TopicRecords } from '../kafka/driver/kafka-driver';
import { kafkaRefusalOf } from '../kafka/kafka-refusal';

/**
 * Kafka's default `message.max.bytes` (a broker setting, the default of each topic's
 * `max.message.bytes`): the largest record batch a partition accepts, used when a topic's own
 * setting cannot be read.
 */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** A record batch's header (magic 2), its base offset and length included. */
const RECORD_BATCH_OVERHEAD = 61;
/**
 * A record's bytes besides its key, value and headers, at most: its length, attributes, timestamp
 * and offset deltas, key and value lengths and header count, each varint at its widest.
 */
const RECORD_OVERHEAD = 5 + 1 + 10 + 5 + 5 + 5 + 5;
/** A header's two length varints, at their widest. */
const HEADER_OVERHEAD = 10;

/** One event as a relay sends it, and what identifies it should Kafka never accept it. */
export interface RelayEvent {
  topic: string;
  message: OutgoingRecord & { key: string; value: string | Buffer; headers: Record<string, string> };
  /** RELAY_PRODUCER_HEADER and RELAY_SEQUENCE_HEADER of the message. */
  producer: string;
  sequence: string;
  /** The envelope's eventId when the relay has it at hand (else read from the value if quarantined). */
  eventId?: string;
}

/** An event Kafka refused on its own for a reason no retry can change (kafka/kafka-refusal.ts). */
export interface RefusedEvent extends RelayEvent {
  /** The Kafka error name, e.g. MESSAGE_TOO_LARGE. */
  reason: string;
  errorMessage: string;
  /** The record batch it makes alone, as estimated by recordBytes(). */
  sizeBytes: number;
  /** The topic's limit as the relay read it. */
  limitBytes: number;
}

const byteLength = (value: string | Buffer | null | undefined): number => (value == null ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length);

/** The bytes one message adds to a record batch (uncompressed), at most. */
export function recordBytes(message: RelayEvent['message']): number {
  let bytes = RECORD_OVERHEAD + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers)) bytes += HEADER_OVERHEAD + byteLength(name) + byteLength(value);
  return bytes;
}

/** The record batch `events` would make in one partition, at most. */
export function batchBytes(events: readonly RelayEvent[]): number {
  return events.reduce((sum, event) => sum + recordBytes(event.message), RECORD_BATCH_OVERHEAD);
}

/**
 * Cuts `events` (in publishing order) into consecutive requests in which each topic's records
 * weigh no more than that topic's limit: a producer's sendBatch is one request per broker, with one record
 * batch per partition, which the broker refuses whole when it is larger than the topic's
 * `max.message.bytes`. The bound is taken per topic, not per partition (the partition is chosen
 * by the client from the key), which is stricter than Kafka's but never too loose. An event that
 * alone is over its limit gets a request of its own, so that Kafka refuses it alone (only Kafka's
 * answer decides that it cannot be sent: the limit read may be stale). The order of the events is
 * kept: the requests go one after the other.
 */
export function splitByBytes(events: readonly RelayEvent[], limitOf: (topic: string) => number): RelayEvent[][] {
  const requests: RelayEvent[][] = [];
  let current: RelayEvent[] = [];
  let bytesPerTopic = new Map<string, number>();
  for (const event of events) {
    const size = recordBytes(event.message);
    const topicBytes = bytesPerTopic.get(event.topic) ?? RECORD_BATCH_OVERHEAD;
    if (current.length > 0 && topicBytes + size > limitOf(event.topic)) {
      requests.push(current);
      current = [];
      bytesPerTopic = new Map();
    }
    current.push(event);
    bytesPerTopic.set(event.topic, (bytesPerTopic.get(event.topic) ?? RECORD_BATCH_OVERHEAD) + size);
    if (RECORD_BATCH_OVERHEAD + size > limitOf(event.topic)) {
      // Over the limit alone: its refusal must not take the events after it along.
      requests.push(current);
      current = [];
      bytesPerTopic = new Map();
    }
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/** One produce request's records, grouped by topic, each topic's in publishing order. */
export function topicRecordsOf(events: readonly RelayEvent[]): TopicRecords[] {
  const byTopic = new Map<string, OutgoingRecord[]>();
  for (const event of events) {
    const records = byTopic.get(event.topic) ?? [];
    records.push(event.message);
    byTopic.set(event.topic, records);
  }
  return [...byTopic].map(([topic, records]) => ({ topic, records }));
}

/** How many of `events` each topic has. */
export function countByTopic(events: readonly RelayEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(event.topic, (counts.get(event.topic) ?? 0) + 1);
  return counts;
}

export interface PublishOutcome {
  /** Acknowledged by Kafka, in publishing order. */
  published: RelayEvent[];
  /** Refused alone for good, in publishing order: to quarantine before moving past them. */
  refused: RefusedEvent[];
}

/**
 * Publishes `events` in order through `send` (one Kafka request, resolved once acknowledged), in
 * requests cut by splitByBytes. A request Kafka refuses for its records (MESSAGE_TOO_LARGE,
 * RECORD_LIST_TOO_LARGE, INVALID_RECORD) is halved, and the halves sent in turn, down to single
 * events; an event refused alone is returned as refused, and the ones after it are sent. Any other
 * failure (transient, or a configuration problem such as an ACL) is thrown: the caller keeps the
 * whole batch queued and tries again, so an event is only ever passed over on Kafka's own word that
 * it can never be accepted.
 *
 * Order within a partition is the publishing order, and events published again keep their headers
 * (producer and sequence): a request refused in one partition may have been written in another,
 * whose events are then sent again in a half, as copies consumers drop; the first copy of each
 * event stays in order.
 */
export async function publishInOrder(
  events: readonly RelayEvent[],
  send: (request: TopicRecords[]) => Promise<void>,
  limitOf: (topic: string) => number,
): Promise<PublishOutcome> {
  const outcome: PublishOutcome = { published: [], refused: [] };
  const sendRequest = async (request: RelayEvent[]): Promise<void> => {
    try {
      await send(topicRecordsOf(request));
      outcome.published.push(...request);
    } catch (error) {
      const refusal = kafkaRefusalOf(error);
      if (refusal?.kind !== 'event') throw error;
      if (request.length === 1) {
        const [event] = request;
        outcome.refused.push({
          ...event,
          reason: refusal.type,
          errorMessage: refusal.message ?? (error instanceof Error ? error.message : String(error)),
          sizeBytes: batchBytes(request),
          limitBytes: limitOf(event.topic),
        });
        return;
      }
      const half = Math.ceil(request.length / 2);
      await sendRequest(request.slice(0, half));
      await sendRequest(request.slice(half));
    }
  };
  for (const request of splitByBytes(events, limitOf)) await sendRequest(request);
  return outcome;
}
