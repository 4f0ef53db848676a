import { ConsumedRecord } from '../kafka/driver/kafka-driver';
import { RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER, REPLAY_OF_HEADER } from '../event-headers';
import { parseProducerSequence, ProducerSequence } from '../position/producer-sequence';

/** A message's place in Kafka. */
export interface MessagePosition {
  topic: string;
  partition: number;
  offset: string;
}

/** Where a consumed event came from, as its headers say: what the dedup stage decides by. */
export interface EventProvenance {
  /** The relay that published it and the event's sequence in that relay's commit order. */
  producer?: string;
  sequence?: ProducerSequence;
  /**
   * Set when it is a dead-letter replay: the original message that was parked; null when the
   * header is there but malformed (such a replay can be claimed by no parking record).
   */
  replayOf?: MessagePosition | null;
}

const header = (message: ConsumedRecord, name: string): string | undefined => {
  const value = message.headers?.[name];
  if (value === undefined || value === null) return undefined;
  return (Array.isArray(value) ? value[0] : value)?.toString();
};

const POSITION = /^([A-Za-z0-9._-]+):(\d{1,9}):(\d{1,19})$/;

/** `<topic>:<partition>:<offset>` (topic names hold no colon), or null. */
export function parseMessagePosition(text: string): MessagePosition | null {
  const match = POSITION.exec(text);
  return match ? { topic: match[1], partition: Number(match[2]), offset: BigInt(match[3]).toString() } : null;
}

export const formatMessagePosition = (position: MessagePosition): string => `${position.topic}:${position.partition}:${position.offset}`;

/**
 * Reads the provenance headers. A replay is claimed by the parking record of its original, so any
 * sequence it carries is ignored; a producer without a well-formed sequence counts as unsequenced
 * (the dedup stage then falls back to the event id).
 */
export function provenanceOf(message: ConsumedRecord): EventProvenance {
  const replayOf = header(message, REPLAY_OF_HEADER);
  if (replayOf !== undefined) return { replayOf: parseMessagePosition(replayOf) };
  const producer = header(message, RELAY_PRODUCER_HEADER);
  const sequence = parseProducerSequence(header(message, RELAY_SEQUENCE_HEADER));
  return producer !== undefined && producer !== '' && sequence !== undefined ? { producer, sequence } : {};
}
