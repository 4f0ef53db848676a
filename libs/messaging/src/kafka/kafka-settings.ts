import { KafkaClientName, KafkaSecurity } from '@relay/service-runtime';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** TLS and SASL login (KAFKA_SECURITY_PROTOCOL & co, kafka-security.ts in service-runtime), or plaintext. */
  security: KafkaSecurity;
  /** Partitions for topics this service creates. More partitions, more consumer instances. */
  topicPartitions: number;
  replicationFactor: number;
  /**
   * Most bytes one consumer fetch brings back, all partitions together (kafkajs `maxBytes`), and
   * per partition (`maxBytesPerPartition`). A fetch is decoded whole and kept until every message in
   * it is processed, at about four times its size in memory; the consumer works through it for
   * seconds, so a few hundred kB per partition lose nothing. Defaults: DEFAULT_CONSUMER_FETCH.
   */
  fetchMaxBytes?: number;
  fetchMaxBytesPerPartition?: number;
  /** The client behind the Kafka driver port (KAFKA_CLIENT): the consumer's, the relays' and the admin's; default KAFKA_CLIENTS[0] (platformatic). */
  client?: KafkaClientName;
}

export type { KafkaClientName };

/**
 * 2 MB per fetch, 256 kB per partition (kafkajs defaults: 10 MB and 1 MB). The same defaults as
 * CONSUMER_FETCH_MAX_BYTES and CONSUMER_FETCH_MAX_BYTES_PER_PARTITION (service-env.ts).
 */
export const DEFAULT_CONSUMER_FETCH = { maxBytes: 2_097_152, maxBytesPerPartition: 262_144 } as const;
