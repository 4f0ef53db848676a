/**
 * A producer's sequence number for one event: a major part that follows the commit order of the
 * producer's transactions, and a minor part that follows the event's place inside its transaction.
 * The relays make them so (the WAL relay: commit LSN and index; the table relay: transaction id and
 * row id, published only once no lower transaction id can still commit), so within one partition
 * the sequences of one producer only go up, and an event published twice (relay crash after
 * Kafka's ack, before the event was marked as published) carries the same sequence both times.
 *
 * Written as fixed-width lowercase hex, `<major: 16 digits>-<minor: 16 digits>`, so that comparing
 * two sequences as strings compares them as numbers: the form they are stored and compared in.
 */
export type ProducerSequence = string & { readonly __brand: 'ProducerSequence' };

const SEQUENCE = /^[0-9a-f]{16}-[0-9a-f]{16}$/;
/** The first form, with an 8-digit minor part: read as the same number in today's form. */
const EIGHT_DIGIT_MINOR = /^[0-9a-f]{16}-[0-9a-f]{8}$/;
const MAX_PART = (1n << 64n) - 1n;

/** The sequence of the event at `minor` (from 0) inside the transaction at `major`; both 0..2^64-1. */
export function producerSequence(major: bigint, minor: bigint | number): ProducerSequence {
  if (major < 0n || major > MAX_PART) throw new RangeError(`sequence major part out of range: ${major}`);
  if (typeof minor === 'number' && !Number.isSafeInteger(minor)) throw new RangeError(`sequence minor part out of range: ${minor}`);
  const minorPart = BigInt(minor);
  if (minorPart < 0n || minorPart > MAX_PART) throw new RangeError(`sequence minor part out of range: ${minor}`);
  return `${hex16(major)}-${hex16(minorPart)}` as ProducerSequence;
}

/**
 * A sequence read from a message header or a database row; undefined if it is not one. The first
 * form (an 8-digit minor part, written before the table relay sequenced its events) is widened, so
 * positions stored then still compare right with what is published now.
 */
export function parseProducerSequence(text: string | undefined): ProducerSequence | undefined {
  if (text === undefined) return undefined;
  if (SEQUENCE.test(text)) return text as ProducerSequence;
  if (EIGHT_DIGIT_MINOR.test(text)) return `${text.slice(0, 17)}00000000${text.slice(17)}` as ProducerSequence;
  return undefined;
}

/** Negative, zero or positive as `a` comes before, equals or follows `b`. */
export function compareSequences(a: ProducerSequence, b: ProducerSequence): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hex16(part: bigint): string {
  return part.toString(16).padStart(16, '0');
}
