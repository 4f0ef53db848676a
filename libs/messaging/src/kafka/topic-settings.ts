import { sourceTopicOfDeadLetterTopic } from '@relay/contracts';
import { TopicSpec } from './driver/kafka-driver';

export type { TopicSpec } from './driver/kafka-driver';

/**
 * Settings every topic of a kind gets, whoever creates it. Dead-letter topics keep their records
 * until an operator purges them (the broker's default would delete parked messages after 7 days,
 * while docs/guarantees.md says a parked message is never lost).
 */
const DEAD_LETTER_TOPIC_CONFIG = [{ name: 'retention.ms', value: '-1' }];

/** The settings of `topic`'s kind: DEAD_LETTER_TOPIC_CONFIG for a dead-letter topic, none for the others. */
export const kindConfigOf = (topic: string): Array<{ name: string; value: string }> => (sourceTopicOfDeadLetterTopic(topic) === undefined ? [] : DEAD_LETTER_TOPIC_CONFIG);

/**
 * Replicas that must have a record before a producer with acks=all (every Relay producer) gets its
 * acknowledgement: min(2, replicationFactor - 1), at least 1. With 3 replicas a write survives the
 * loss of any one broker and the topic still takes writes with one broker down; with 2, writes go on
 * with one broker down but an acknowledged record may be on one broker only; with 1 there is no
 * choice. Set on the topic itself, so the guarantee does not depend on the brokers' default.
 */
export function minInsyncReplicasFor(replicationFactor: number): number {
  return Math.max(1, Math.min(2, replicationFactor - 1));
}

/** The settings a topic is created with: its kind's (dead-letter retention) and, when replicated, its min ISR. */
export function creationConfigOf(spec: TopicSpec): Array<{ name: string; value: string }> {
  const replicated = spec.replicationFactor >= 2 ? [{ name: 'min.insync.replicas', value: String(minInsyncReplicasFor(spec.replicationFactor)) }] : [];
  return [...kindConfigOf(spec.topic), ...replicated];
}
