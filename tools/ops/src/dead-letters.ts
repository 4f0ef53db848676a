import { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { deadLetterTopicFor, decodeEvent } from '@relay/contracts';
import { DeadLetterHeaders } from '@relay/messaging';
import { DEFAULT_SOURCE_TOPIC, formatPosition, RecordPosition } from './config';
import { OpsError } from './errors';
import { ProgressCallback } from './io';
import { headerStrings, PartitionOffsets, PartitionRange, requireTopic, scanTopic, topicOffsets, withAdmin } from './kafka';

/** A message parked on a dead-letter topic, with its provenance headers read out. */
export interface DeadLetter {
  dlqTopic: string;
  partition: number;
  offset: string;
  /** When it was parked (the record's Kafka timestamp), ISO-8601. */
  parkedAt: string;
  key: string | null;
  /** Every header, as text. */
  headers: Record<string, string>;
  /** The headers as stored, for a byte-exact replay. */
  rawHeaders: IHeaders;
  value: Buffer | null;
  /** From the value, when it is JSON with these fields (even if it does not decode as a valid event). */
  eventId: string | null;
  eventType: string | null;
  /** Whether the value decodes as a valid event today; if not, why. */
  decodes: boolean;
  decodeError: string | null;
  errorClass: string | null;
  errorMessage: string | null;
  attempts: number | null;
  consumerGroup: string | null;
  original: { topic: string; partition: number | null; offset: string | null } | null;
  firstFailureAt: string | null;
  lastFailureAt: string | null;
}

export interface DeadLetterSource {
  /** Consumer group whose dead letters these are. */
  group: string;
  /** The topic the group consumed (default relay.orders.v1). */
  sourceTopic?: string;
}

/** The topic the group consumed, whose dead letters these are. */
export const sourceTopicOf = (source: DeadLetterSource): string => source.sourceTopic ?? DEFAULT_SOURCE_TOPIC;

export const dlqTopicOf = (source: DeadLetterSource): string => deadLetterTopicFor(sourceTopicOf(source), source.group);

function eventIdentity(value: Buffer | null): Pick<DeadLetter, 'eventId' | 'eventType' | 'decodes' | 'decodeError'> {
  const decoded = decodeEvent(value);
  if (decoded.ok) return { eventId: decoded.envelope.eventId, eventType: decoded.contract.pattern, decodes: true, decodeError: null };
  let eventId: string | null = null;
  let eventType: string | null = null;
  try {
    const json = JSON.parse(value?.toString() ?? '') as { eventId?: unknown; type?: unknown; version?: unknown };
    if (typeof json.eventId === 'string') eventId = json.eventId;
    if (typeof json.type === 'string') eventType = typeof json.version === 'number' ? `${json.type}.v${json.version}` : json.type;
  } catch {
    // Not JSON: nothing to show.
  }
  return { eventId, eventType, decodes: false, decodeError: `${decoded.reason}: ${decoded.message}` };
}

export function toDeadLetter(dlqTopic: string, partition: number, message: KafkaMessage): DeadLetter {
  const headers = headerStrings(message);
  const header = (name: string): string | null => headers[name] ?? null;
  const attempts = header(DeadLetterHeaders.attempts);
  const originalPartition = header(DeadLetterHeaders.originalPartition);
  const originalTopic = header(DeadLetterHeaders.originalTopic);
  return {
    dlqTopic,
    partition,
    offset: message.offset,
    parkedAt: new Date(Number(message.timestamp)).toISOString(),
    key: message.key === null ? null : message.key.toString(),
    headers,
    rawHeaders: message.headers ?? {},
    value: message.value,
    ...eventIdentity(message.value),
    errorClass: header(DeadLetterHeaders.errorClass),
    errorMessage: header(DeadLetterHeaders.errorMessage),
    attempts: attempts !== null && /^\d+$/.test(attempts) ? Number(attempts) : null,
    consumerGroup: header(DeadLetterHeaders.consumerGroup),
    original:
      originalTopic === null
        ? null
        : {
            topic: originalTopic,
            partition: originalPartition !== null && /^\d+$/.test(originalPartition) ? Number(originalPartition) : null,
            offset: header(DeadLetterHeaders.originalOffset),
          },
    firstFailureAt: header(DeadLetterHeaders.firstFailureAt),
    lastFailureAt: header(DeadLetterHeaders.lastFailureAt),
  };
}

export async function dlqOffsets(kafka: Kafka, dlqTopic: string, source: DeadLetterSource): Promise<PartitionOffsets[]> {
  return withAdmin(kafka, async (admin) => {
    try {
      await requireTopic(admin, dlqTopic);
    } catch (error) {
      if (!(error instanceof OpsError)) throw error;
      throw new OpsError(
        `dead-letter topic ${dlqTopic} does not exist: group "${source.group}" has never consumed ${source.sourceTopic ?? DEFAULT_SOURCE_TOPIC} (check --group and --topic)`,
      );
    }
    return topicOffsets(admin, dlqTopic);
  });
}

export interface ReadDeadLettersOptions {
  /** Read only these records. */
  positions?: RecordPosition[];
  /** Read at most this many per partition, from the earliest. */
  perPartitionLimit?: number;
  onProgress?: ProgressCallback;
}

/** Reads dead letters up to the current end of the topic, oldest first. */
export async function readDeadLetters(kafka: Kafka, dlqTopic: string, offsets: PartitionOffsets[], options: ReadDeadLettersOptions = {}): Promise<DeadLetter[]> {
  let ranges: PartitionRange[];
  if (options.positions) {
    ranges = [];
    for (const position of options.positions) {
      const partition = offsets.find((entry) => entry.partition === position.partition);
      const offset = BigInt(position.offset);
      if (!partition) throw new OpsError(`${dlqTopic} has no partition ${position.partition} (it has ${offsets.length})`);
      if (offset < partition.low || offset >= partition.high) {
        const held = partition.high > partition.low ? `holds offsets ${partition.low}-${partition.high - 1n}` : 'is empty';
        throw new OpsError(`no record at ${formatPosition(position)} in ${dlqTopic} (partition ${position.partition} ${held})`);
      }
      const existing = ranges.find((range) => range.partition === position.partition);
      if (existing) {
        existing.from = offset < existing.from ? offset : existing.from;
        existing.to = offset + 1n > existing.to ? offset + 1n : existing.to;
      } else ranges.push({ partition: position.partition, from: offset, to: offset + 1n });
    }
  } else {
    const limit = options.perPartitionLimit;
    ranges = offsets.map((entry) => ({
      partition: entry.partition,
      from: entry.low,
      to: limit === undefined || entry.low + BigInt(limit) > entry.high ? entry.high : entry.low + BigInt(limit),
    }));
  }
  const wanted = options.positions ? new Set(options.positions.map(formatPosition)) : undefined;
  const records: DeadLetter[] = [];
  await scanTopic(kafka, {
    topic: dlqTopic,
    ranges,
    onProgress: options.onProgress,
    onMessage: (partition, message) => {
      if (wanted && !wanted.has(formatPosition({ partition, offset: message.offset }))) return;
      records.push(toDeadLetter(dlqTopic, partition, message));
    },
  });
  return records.sort((a, b) => a.parkedAt.localeCompare(b.parkedAt) || a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** UTF-8 text without control characters (tabs and line breaks allowed): safe to print as is. */
export function printableText(value: Buffer): string | undefined {
  const text = value.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(value)) return undefined;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return undefined;
  }
  return text;
}

/** The JSON view of a dead letter: value as text (and parsed, when it is JSON), no raw buffers. */
export function deadLetterView(record: DeadLetter): Record<string, unknown> {
  const { rawHeaders: _rawHeaders, value, ...rest } = record;
  const text = value === null ? null : value.toString('utf8');
  let json: unknown;
  try {
    json = text === null ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  const printable = value !== null && printableText(value) !== undefined;
  return { ...rest, value: json ?? (printable ? text : null), valueBase64: json === undefined && !printable && value !== null ? value.toString('base64') : undefined };
}
