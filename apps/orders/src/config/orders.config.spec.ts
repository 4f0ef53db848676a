import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@relay/service-runtime';
import { ordersEnvShape, readOrdersConfig } from './orders.config';

const documented = readFileSync(path.resolve(__dirname, '../../../../.env.example'), 'utf8');

describe('orders configuration', () => {
  it('documents every variable it reads in .env.example', () => {
    const missing = Object.keys(ordersEnvShape).filter((name) => !new RegExp(`^#? ?${name}=`, 'm').test(documented));
    expect(missing).toEqual([]);
  });

  it('refuses to start without Kafka and PostgreSQL, naming both variables', () => {
    expect(() => readOrdersConfig({})).toThrow(ConfigError);
    expect(() => readOrdersConfig({})).toThrow(/DATABASE_URL: required[\s\S]*KAFKA_BROKERS: required/);
  });
});
