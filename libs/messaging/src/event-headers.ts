/**
 * Kafka headers that say where an event came from, which the consumers' positions rely on
 * (position/partition-position.ts): one home for their names, shared by the relays, the consumer
 * and the ops replay.
 */

/** Who published the event: the sequences of one producer are comparable, those of two are not. */
export const RELAY_PRODUCER_HEADER = 'x-relay-producer';
/** The event's ProducerSequence: increasing in commit order, the same when it is published again. */
export const RELAY_SEQUENCE_HEADER = 'x-relay-sequence';
/**
 * Set by a dead-letter replay: `<dead-letter topic>:<partition>:<offset>` of the record replayed.
 * A replayed event is claimed by that record (a second replay of it is a duplicate), not by a
 * producer sequence, which the replay strips.
 */
export const REPLAYED_FROM_HEADER = 'x-replayed-from';
