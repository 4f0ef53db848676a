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

  it('prepares statements unless DATABASE_PREPARED_STATEMENTS=off, and names a bad value', () => {
    const required = { DATABASE_URL: 'postgres://relay@127.0.0.1:5432/relay', KAFKA_BROKERS: '127.0.0.1:9092' };
    expect(readOrdersConfig(required).DATABASE_PREPARED_STATEMENTS).toBe('on');
    expect(readOrdersConfig({ ...required, DATABASE_PREPARED_STATEMENTS: 'off' }).DATABASE_PREPARED_STATEMENTS).toBe('off');
    expect(() => readOrdersConfig({ ...required, DATABASE_PREPARED_STATEMENTS: 'yes' })).toThrow(/DATABASE_PREPARED_STATEMENTS/);
  });
});
