import { ConfigError } from '@relay/service-runtime';
import { documentedSettingsProblems } from '@relay/testing';
import { ordersEnvShape, readOrdersConfig } from './orders.config';

/** LOG_FORMAT's default is pretty at a terminal, json elsewhere: .env.example shows json, the README both. */
const CONTEXTUAL_DEFAULTS = { LOG_FORMAT: 'pretty at a terminal, else json' };

describe('orders configuration', () => {
  it('documents every variable it reads, with its declared default, in .env.example and the README', () => {
    // .env.example and the README show orders' defaults (PORT=3000, …); the variables all services
    // share are checked here, once.
    expect(documentedSettingsProblems(ordersEnvShape, { service: 'orders', defaults: true, readme: true, contextualDefaults: CONTEXTUAL_DEFAULTS })).toEqual([]);
  });

  it('refuses to start without Kafka and PostgreSQL, naming both variables', () => {
    expect(() => readOrdersConfig({})).toThrow(ConfigError);
    expect(() => readOrdersConfig({})).toThrow(/DATABASE_URL: required[\s\S]*KAFKA_BROKERS: required/);
  });
});
