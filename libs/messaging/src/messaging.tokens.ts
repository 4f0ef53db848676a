export const KAFKA_SETTINGS = Symbol('KAFKA_SETTINGS');
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');
export const CONSUMER_GROUP = Symbol('CONSUMER_GROUP');
export const CONSUMER_TOPICS = Symbol('CONSUMER_TOPICS');
export const OUTBOX_RELAY_OPTIONS = Symbol('OUTBOX_RELAY_OPTIONS');
