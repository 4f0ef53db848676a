import { ConfigError, readEnv, shownValue } from './read-env';
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

  it('never shows a password: the one in a bad DATABASE_URL is redacted', () => {
    expect(() => readEnv(shape, { KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: 'mysql://relay:s3cr3t@db.example:5432/relay' })).toThrow(/DATABASE_URL: .*"mysql:\/\/relay:\*\*\*@db\.example:5432\/relay"/);
    expect(() => readEnv(shape, { KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: 'mysql://relay:s3cr3t@db.example:5432/relay' })).not.toThrow(/s3cr3t/);
  });
});

describe('shownValue', () => {
  it('redacts the password of any URL, keeps the rest for the operator', () => {
    expect(shownValue('DATABASE_URL', 'postgresql://app:p%40ss:w0rd@10.0.0.1:5432/relay?sslmode=require')).toBe('"postgresql://app:***@10.0.0.1:5432/relay?sslmode=require"');
    expect(shownValue('DATABASE_URL', 'postgres://app@host/db')).toBe('"postgres://app@host/db"');
    expect(shownValue('PORT', 'eighty')).toBe('"eighty"');
  });

  it.each([
    ['a space in it', 'postgres://relay:s3 cr3t@db.example/relay', '"postgres://relay:***@db.example/relay"'],
    ['an unescaped @ in the password', 'postgres://relay:s3cr3t@x@db.example/relay', '"postgres://relay:***@db.example/relay"'],
    ['an unescaped / in the password', 'postgres://relay:s3/cr3t@db.example/relay', '"postgres://relay:***@db.example/relay"'],
    ['no scheme', 'relay:s3cr3t@db.example:5432/relay', '"relay:***@db.example:5432/relay"'],
    ['the password as a parameter', 'postgres://db.example/relay?user=relay&password=s3cr3t&sslmode=require', '"postgres://db.example/relay?user=relay&password=***&sslmode=require"'],
    ['a key=value connection string', "host=db.example user=relay password='s3 cr3t' dbname=relay", '"host=db.example user=relay password=*** dbname=relay"'],
  ])('redacts the password of a malformed URL too (%s): a bad value is the one shown', (_, value, shown) => {
    expect(shownValue('DATABASE_URL', value)).toBe(shown);
    expect(shownValue('DATABASE_URL', value)).not.toMatch(/s3|cr3t/);
  });

  it('names a bad DATABASE_URL without its password, whatever is wrong with it', () => {
    for (const url of ['postgres://relay:s3cr3t@db example/relay', 'relay:s3cr3t@db.example/relay', 'postgres://relay:s3cr3t@db.example/relay?x=1 2']) {
      let message = '';
      try {
        readEnv(shape, { KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: url });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/DATABASE_URL: must be a postgres:\/\/ URL \(got ".*:\*\*\*@/);
      expect(message).not.toContain('s3cr3t');
    }
  });

  it('shows nothing of a variable named like a secret', () => {
    for (const name of ['KAFKA_PASSWORD', 'JWT_SECRET', 'API_TOKEN', 'SIGNING_PRIVATE_KEY']) expect(shownValue(name, 'hunter2')).not.toContain('hunter2');
  });
});
