/** The Kafka clients the event consumer's driver port has an adapter for (KAFKA_CLIENT); the first is the default. */
export const KAFKA_CLIENTS = ['platformatic', 'kafkajs'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];
