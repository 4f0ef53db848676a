import { ConfigError } from '@relay/service-runtime';
import { documentedSettingsProblems } from '@relay/testing';
import { deliveryEnvShape, readDeliveryConfig } from './delivery.config';

describe('delivery configuration', () => {
  it('documents every variable it reads in .env.example and the README', () => {
    expect(documentedSettingsProblems(deliveryEnvShape, { service: 'delivery', defaults: false, readme: true })).toEqual([]);
  });

  it('refuses to start without Kafka and PostgreSQL, naming both variables', () => {
    expect(() => readDeliveryConfig({})).toThrow(ConfigError);
    expect(() => readDeliveryConfig({})).toThrow(/DATABASE_URL: required[\s\S]*KAFKA_BROKERS: required/);
  });
});
