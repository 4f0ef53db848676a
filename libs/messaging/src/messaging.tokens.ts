export const KAFKA_SETTINGS = Symbol('KAFKA_SETTINGS');
/** The service's KafkaDriver (the client KAFKA_CLIENT names), for its admin reads: consumer lag. */
export const KAFKA_DRIVER = Symbol('KAFKA_DRIVER');
export const CONSUMER_GROUP = Symbol('CONSUMER_GROUP');
export const CONSUMER_TOPICS = Symbol('CONSUMER_TOPICS');
export const OUTBOX_RELAY_OPTIONS = Symbol('OUTBOX_RELAY_OPTIONS');
