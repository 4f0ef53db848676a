import { DEFAULT_CONSUMER_FETCH, groupConsumerOptionsOf } from '@relay/messaging';
import { readEnv } from '@relay/service-runtime';
import { consumerEnvShape, serviceEnvShape } from './service-env';
import { consumerOptionsFrom, kafkaSettingsFrom } from './service-settings';

const shape = { ...serviceEnvShape({ port: 3001, schema: 'inventory', clientId: 'inventory' }), ...consumerEnvShape({ group: 'inventory' }) };
const required = { KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: 'postgres://relay@127.0.0.1:5432/relay', KAFKA_USERNAME: 'inventory', KAFKA_PASSWORD: 'not-a-real-secret' };

describe('consumer fetch sizes', () => {
  it('default to DEFAULT_CONSUMER_FETCH, from the environment and in the server alike', () => {
    const options = consumerOptionsFrom(readEnv(shape, required));
    expect(options.kafka).toMatchObject({ fetchMaxBytes: DEFAULT_CONSUMER_FETCH.maxBytes, fetchMaxBytesPerPartition: DEFAULT_CONSUMER_FETCH.maxBytesPerPartition });

    const { fetchMaxBytes: _maxBytes, fetchMaxBytesPerPartition: _perPartition, ...withoutFetch } = options.kafka;
    expect(groupConsumerOptionsOf({ ...options, kafka: withoutFetch })).toMatchObject(DEFAULT_CONSUMER_FETCH);
  });

  it('reach the Kafka driver from CONSUMER_FETCH_MAX_BYTES and CONSUMER_FETCH_MAX_BYTES_PER_PARTITION', () => {
    const options = consumerOptionsFrom(readEnv(shape, { ...required, CONSUMER_FETCH_MAX_BYTES: '1048576', CONSUMER_FETCH_MAX_BYTES_PER_PARTITION: '65536' }));
    expect(groupConsumerOptionsOf(options)).toMatchObject({ maxBytes: 1_048_576, maxBytesPerPartition: 65_536 });
  });

  it('refuses a size that is not a positive whole number of bytes', () => {
    expect(() => readEnv(shape, { ...required, CONSUMER_FETCH_MAX_BYTES: '2MB' })).toThrow(/CONSUMER_FETCH_MAX_BYTES: /);
    expect(() => readEnv(shape, { ...required, CONSUMER_FETCH_MAX_BYTES_PER_PARTITION: '0' })).toThrow(/CONSUMER_FETCH_MAX_BYTES_PER_PARTITION: /);
  });
});

describe('KAFKA_CLIENT', () => {
  it('picks the client of every Kafka driver a service makes (the consumer, the outbox relays, the lag reads), not only the consumer\'s', () => {
    for (const client of ['kafkajs', 'platformatic'] as const) {
      const env = readEnv(shape, { ...required, KAFKA_CLIENT: client });
      expect(kafkaSettingsFrom(env).client).toBe(client);
      expect(consumerOptionsFrom(env).kafka.client).toBe(client);
    }
  });
});
