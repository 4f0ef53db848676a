import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@relay/service-runtime';
import { deliveryEnvShape, readDeliveryConfig } from './delivery.config';

const documented = readFileSync(path.resolve(__dirname, '../../../../.env.example'), 'utf8');

describe('delivery configuration', () => {
  it('documents every variable it reads in .env.example', () => {
    const missing = Object.keys(deliveryEnvShape).filter((name) => !new RegExp(`^#? ?${name}=`, 'm').test(documented));
    expect(missing).toEqual([]);
  });

  it('refuses to start without Kafka and PostgreSQL, naming both variables', () => {
    expect(() => readDeliveryConfig({})).toThrow(ConfigError);
    expect(() => readDeliveryConfig({})).toThrow(/DATABASE_URL: required[\s\S]*KAFKA_BROKERS: required/);
  });
});
