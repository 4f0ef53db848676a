import { ConfigError, readEnv } from './read-env';
import { envFields } from './env-fields';

const shape = {
  PORT: envFields.port(3000),
  KAFKA_BROKERS: envFields.brokers,
  DATABASE_URL: envFields.postgresUrl,
  DATABASE_SCHEMA: envFields.schemaName('orders'),
};

describe('readEnv', () => {
  it('applies defaults and parses values', () => {
    expect(readEnv(shape, { KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093', DATABASE_URL: 'postgres://x@h:1/db' })).toEqual({
      PORT: 3000,
      KAFKA_BROKERS: ['127.0.0.1:9092', '127.0.0.1:9093'],
      DATABASE_URL: 'postgres://x@h:1/db',
      DATABASE_SCHEMA: 'orders',
    });
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      readEnv(shape, { PORT: 'eighty', KAFKA_BROKERS: 'localhost', DATABASE_SCHEMA: 'Drop Table' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/PORT: .*"eighty"/);
    expect(problems.join('\n')).toMatch(/KAFKA_BROKERS: each broker must be host:port/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL: required.*\(not set\)/);
    expect(problems.join('\n')).toMatch(/DATABASE_SCHEMA: must be a lower-case SQL identifier/);
  });

  it('treats an empty variable as unset', () => {
    expect(() => readEnv(shape, { KAFKA_BROKERS: '', DATABASE_URL: 'postgres://h/db' })).toThrow(/KAFKA_BROKERS: required/);
  });
});
