import { ConfigError } from '@relay/service-runtime';
import { documentedSettingsProblems } from '@relay/testing';
import { inventoryEnvShape, readInventoryConfig } from './inventory.config';

describe('inventory configuration', () => {
  it('documents every variable it reads in .env.example and the README', () => {
    expect(documentedSettingsProblems(inventoryEnvShape, { service: 'inventory', defaults: false, readme: true })).toEqual([]);
  });

  it('refuses to start without Kafka and PostgreSQL, naming both variables', () => {
    expect(() => readInventoryConfig({})).toThrow(ConfigError);
    expect(() => readInventoryConfig({})).toThrow(/DATABASE_URL: required[\s\S]*KAFKA_BROKERS: required/);
  });
});
