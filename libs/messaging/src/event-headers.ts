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
 * The id of the transaction that wrote the event (WAL outbox: 32 bits, as logical decoding gives
 * it): the audit tells from it whether the event belongs to its database snapshot.
 */
export const RELAY_XID_HEADER = 'x-relay-xid';
/** Set by a dead-letter replay: `<dead-letter topic>:<partition>:<offset>` of the record replayed (provenance). */
export const REPLAYED_FROM_HEADER = 'x-replayed-from';
/**
 * Set by a dead-letter replay: `<topic>:<partition>:<offset>` of the original message that was
 * parked. A group applies a replay only if it has a parking record of that message (parked_events),
 * which the replay consumes: a second replay, or a replay of another group's dead letter of a
 * message this group applied, finds none. The replay strips the producer sequence, which the group
 * moved past when it parked the message.
 */
export const REPLAY_OF_HEADER = 'x-replay-of';
/**
 * Set by `npm run ops -- outbox republish`: `<schema>:<producer>:<sequence>` of the quarantined
 * event it publishes (provenance). Such a record carries no producer sequence (its consumers moved
 * past that sequence long ago): a group applies it once, by its event id.
 */
export const REPUBLISHED_FROM_QUARANTINE_HEADER = 'x-republished-from-quarantine';
