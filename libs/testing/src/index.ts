// One waitFor for tests and tools: it lives in @relay/util, which the tools may import too.
export { waitFor, WaitTimeoutError, type WaitForOptions } from '@relay/util';
export * from './integration-env';
export * from './test-data-source';
export * from './settings/env-example';
export * from './settings/readme-settings';
export * from './settings/documented-settings';
/** The Kafka clients behind the services' driver port, the first the default: for suites that put services on each. */
export { KAFKA_CLIENTS, type KafkaClientName } from '@relay/service-runtime';
