/**
 * A producer's sequence number for one event: where the event's transaction committed in the
 * producer's database log, and the event's place inside that transaction. Events reach Kafka in
 * commit order (the relay reads them from the log), so within one partition the sequences of one
 * producer only go up, and an event published twice (relay crash after Kafka's ack, before the
 * log position was confirmed) carries the same sequence both times.
 *
 * Written as fixed-width hex, `<commit LSN: 16 digits>-<index: 8 digits>`, so that comparing two
 * sequences as strings compares them as numbers: the form they are stored and compared in.
 */
export type ProducerSequence = string & { readonly __brand: 'ProducerSequence' };

const SEQUENCE = /^[0-9a-f]{16}-[0-9a-f]{8}$/;
const MAX_LSN = (1n << 64n) - 1n;
const MAX_INDEX = 0xffff_ffff;

/** The sequence of the `index`-th event (from 0) of the transaction that committed at `commitLsn`. */
export function producerSequence(commitLsn: bigint, index: number): ProducerSequence {
  if (commitLsn < 0n || commitLsn > MAX_LSN) throw new RangeError(`commit LSN out of range: ${commitLsn}`);
  if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX) throw new RangeError(`index out of range: ${index}`);
  return `${commitLsn.toString(16).padStart(16, '0')}-${index.toString(16).padStart(8, '0')}` as ProducerSequence;
}

/** A sequence read from a message header or a database row; undefined if it is not one. */
export function parseProducerSequence(text: string | undefined): ProducerSequence | undefined {
  return text !== undefined && SEQUENCE.test(text) ? (text as ProducerSequence) : undefined;
}

/** Negative, zero or positive as `a` comes before, equals or follows `b`. */
export function compareSequences(a: ProducerSequence, b: ProducerSequence): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
