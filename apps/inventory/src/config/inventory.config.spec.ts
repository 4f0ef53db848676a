import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@relay/service-runtime';
import { inventoryEnvShape, readInventoryConfig } from './inventory.config';

const documented = readFileSync(path.resolve(__dirname, '../../../../.env.example'), 'utf8');

describe('inventory configuration', () => {
  it('documents every variable it reads in .env.example', () => {
    const missing = Object.keys(inventoryEnvShape).filter((name) => !new RegExp(`^#? ?${name}=`, 'm').test(documented));
    expect(missing).toEqual([]);
  });

  it('refuses to start without Kafka and PostgreSQL, naming both variables', () => {
    expect(() => readInventoryConfig({})).toThrow(ConfigError);
    expect(() => readInventoryConfig({})).toThrow(/DATABASE_URL: required[\s\S]*KAFKA_BROKERS: required/);
  });
});
