import { ConfigError } from '@relay/service-runtime';
import { documentedSettingsProblems } from '@relay/testing';
import { consoleEnvShape, readConsoleConfig } from './console.config';
import { watchedServices } from './watched-services';

const required = { KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: 'postgres://relay:relay@127.0.0.1:5433/relay' };

describe('console configuration', () => {
  it('documents every variable it reads in .env.example', () => {
    expect(documentedSettingsProblems(consoleEnvShape, { service: 'console', defaults: false, readme: false })).toEqual([]);
  });

  it("defaults to npm start's ports, schemas and groups", () => {
    const config = readConsoleConfig(required);
    expect(config.PORT).toBe(3003);
    expect(watchedServices(config).map(({ id, urls, group, schema }) => [id, urls, group, schema])).toEqual([
      ['orders', ['http://127.0.0.1:4000'], 'orders', 'orders'],
      ['inventory', ['http://127.0.0.1:4001'], 'inventory', 'inventory'],
      ['delivery', ['http://127.0.0.1:4002'], 'delivery', 'delivery'],
    ]);
  });

  it('takes every instance of a service as a comma-separated list of URLs', () => {
    const config = readConsoleConfig({ ...required, INVENTORY_URLS: 'http://127.0.0.1:3001, http://127.0.0.1:3011/' });
    expect(config.INVENTORY_URLS).toEqual(['http://127.0.0.1:3001', 'http://127.0.0.1:3011']);
  });

  it('refuses a bad environment naming each variable, the password never shown', () => {
    let error: unknown;
    try {
      readConsoleConfig({ DATABASE_URL: 'mysql://relay:s3cret@db/relay', DELIVERY_URLS: 'ftp://x', PORT: '70000' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['KAFKA_BROKERS', 'DATABASE_URL', 'DELIVERY_URLS', 'PORT']) expect(message).toContain(name);
    expect(message).not.toContain('s3cret');
  });
});
