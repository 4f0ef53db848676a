import { compareSequences, ProducerSequence } from './producer-sequence';

/**
 * What a consumer group has applied from one partition, stored in the same transaction as the
 * effects it describes (Kafka's "storing offsets outside Kafka"): the next offset to apply, and the
 * highest sequence applied per producer. Bookkeeping per partition, not per event.
 */
export interface PartitionPosition {
  /** The next offset to apply; undefined before the group applied anything from the partition. */
  nextOffset: bigint | undefined;
  /** Highest sequence applied, per producer. */
  sequences: ReadonlyMap<string, ProducerSequence>;
}

/** One message as the position sees it. */
export interface PositionedMessage {
  offset: bigint;
  /** The producer and its sequence, for events published from a producer's log; absent otherwise. */
  producer?: string;
  sequence?: ProducerSequence;
}

/**
 * - `apply`: new: apply its effect;
 * - `redelivered`: at an offset the group already applied (Kafka's committed offset was behind the
 *   stored position: a crash between the database commit and the offset commit, a rebalance, a
 *   zombie): no effect;
 * - `republished`: a new offset, but its producer's sequence was applied already (a second copy of
 *   the same event published by a relay that crashed after Kafka's ack): no effect.
 */
export type Admission = 'apply' | 'redelivered' | 'republished';

export const EMPTY_POSITION: PartitionPosition = { nextOffset: undefined, sequences: new Map() };

/**
 * Decides, for messages of one partition in offset order, which to apply, and returns the position
 * to store with their effects. Pure: the same inputs give the same decisions, so a retried
 * transaction decides the same way.
 *
 * The sequence rule is only sound if a producer's sequences reach each partition in increasing
 * order, a republished copy keeping its first sequence (ProducerSequence says why they do). A
 * message without a sequence is admitted on its offset alone.
 */
export function admit(position: PartitionPosition, messages: readonly PositionedMessage[]): { admissions: Admission[]; position: PartitionPosition } {
  let nextOffset = position.nextOffset;
  let sequences: Map<string, ProducerSequence> | undefined;
  const admissions = messages.map((message): Admission => {
    if (nextOffset !== undefined && message.offset < nextOffset) return 'redelivered';
    nextOffset = message.offset + 1n;
    if (message.producer === undefined || message.sequence === undefined) return 'apply';
    const applied = (sequences ?? position.sequences).get(message.producer);
    if (applied !== undefined && compareSequences(message.sequence, applied) <= 0) return 'republished';
    sequences ??= new Map(position.sequences);
    sequences.set(message.producer, message.sequence);
    return 'apply';
  });
  return { admissions, position: { nextOffset, sequences: sequences ?? position.sequences } };
}
