/**
 * Every Kafka topic the platform uses, one per producing service. Topic names carry the major
 * version of the events they hold: a breaking change to an event goes to a new topic, so old and
 * new consumers can run side by side during a migration.
 */
export const Topics = {
  /** From orders: placed, cancelled. Keyed by orderId, so one order's events stay in order. */
  orderEvents: 'relay.orders.v1',
  /** From inventory: stock reserved, rejected, released. Keyed by orderId. */
  inventoryEvents: 'relay.inventory.v1',
  /** From delivery: delivery scheduled, cancelled. Keyed by orderId. */
  deliveryEvents: 'relay.delivery.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/**
 * Where a consumer group parks messages it could not process. One dead-letter topic per source
 * topic and group, so a replay goes back to the group that failed and no other group's parked
 * messages are mixed in.
 */
export function deadLetterTopicFor(sourceTopic: string, consumerGroup: string): string {
  return `${sourceTopic}${DEAD_LETTER_INFIX}${consumerGroup}`;
}

const DEAD_LETTER_INFIX = '.dlq.';

/** The source topic a dead-letter topic belongs to, or undefined if the name is not a dead-letter topic's. */
export function sourceTopicOfDeadLetterTopic(topic: string): string | undefined {
  const at = topic.lastIndexOf(DEAD_LETTER_INFIX);
  return at > 0 && at + DEAD_LETTER_INFIX.length < topic.length ? topic.slice(0, at) : undefined;
}
