import { Logger } from '@nestjs/common';
import { Kafka, KafkaConfig, logLevel, LogEntry, Partitioners, ProducerConfig } from 'kafkajs';
import { kafkaClientSecurity } from '@relay/service-runtime';
import { KafkaSettings } from '../kafka-settings';

// kafkajs logs at ERROR the protocol errors it is about to retry (a coordinator still loading, a
// leader moving). They are warnings to us: what really fails reaches our code as an exception.
const levels: Record<number, 'error' | 'warn' | 'log' | 'debug'> = {
  [logLevel.ERROR]: 'warn',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'log',
  [logLevel.DEBUG]: 'debug',
};

// Relay retries whole outbox batches itself, in id order, and consumers drop duplicates by
// eventId, so a producer with bounded retries keeps every guarantee we state; kafkajs's generic
// warning about it would only alarm operators.
const knownNoise = [/Limiting retries for the idempotent producer/];

const REPEAT_WINDOW_MS = 10_000;

/**
 * kafkajs logs through Nest's logger, so one log stream per service. While a broker is down
 * kafkajs reports every reconnect attempt; the same message is logged at most once per window.
 */
export function nestLogCreator() {
  const lastLogged = new Map<string, number>();
  return ({ namespace, level, log }: LogEntry) => {
    const { message, timestamp: _timestamp, logger: _logger, stack: _stack, ...extra } = log as LogEntry['log'] & { stack?: string };
    if (knownNoise.some((pattern) => pattern.test(message))) return;
    const key = `${namespace}:${message}`;
    const now = Date.now();
    if ((lastLogged.get(key) ?? 0) > now - REPEAT_WINDOW_MS) return;
    lastLogged.set(key, now);
    const method = levels[level] ?? 'log';
    const details = Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : '';
    new Logger(`kafkajs:${namespace || 'client'}`)[method](`${message}${details}`);
  };
}

/**
 * The configuration of every kafkajs client a service makes (createKafka, KafkajsDriver's), so
 * each one connects the same way: TLS and a SASL login
 * as the service's own principal (the broker's ACLs allow that principal its own topics and groups
 * only), or plaintext when KAFKA_SECURITY_PROTOCOL says so.
 */
export function kafkaClientConfig(settings: KafkaSettings, clientIdSuffix = ''): KafkaConfig {
  return {
    clientId: `${settings.clientId}${clientIdSuffix}`,
    brokers: settings.brokers,
    ...kafkaClientSecurity(settings.security),
    logLevel: logLevel.WARN,
    logCreator: () => nestLogCreator(),
    retry: { initialRetryTime: 200, retries: 8 },
  };
}

/**
 * Every Relay kafkajs producer (KafkajsDriver's: the relays', the consumer's dead letters): idempotent, one request
 * in flight (a retried request can be neither duplicated nor overtaken), topics only ever created
 * by the provisioner, keys on the Java client's partitions.
 */
export const idempotentProducerConfig = (): ProducerConfig => ({
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  createPartitioner: Partitioners.DefaultPartitioner,
});

export function createKafka(settings: KafkaSettings, clientIdSuffix = ''): Kafka {
  return new Kafka(kafkaClientConfig(settings, clientIdSuffix));
}
