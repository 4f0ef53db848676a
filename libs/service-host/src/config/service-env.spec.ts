import { callerIdentificationFrom, ConfigError, managementListenFrom, readEnv } from '@relay/service-runtime';
import { serviceEnvShape } from './service-env';

describe('management port settings', () => {
  const shape = serviceEnvShape({ port: 3000, schema: 'orders', clientId: 'orders' });
  const base = { KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: 'postgres://relay@127.0.0.1/relay', AUTH_PUBLIC_KEY_FILE: '/k.pem' };

  it('defaults to PORT + 1000 on loopback', () => {
    expect(managementListenFrom(readEnv(shape, base))).toEqual({ port: 4000, host: '127.0.0.1' });
    expect(managementListenFrom(readEnv(shape, { ...base, PORT: '3010' }))).toEqual({ port: 4010, host: '127.0.0.1' });
  });

  it('takes MANAGEMENT_PORT and MANAGEMENT_HOST, and refuses a management port that is PORT or none at all', () => {
    expect(managementListenFrom(readEnv(shape, { ...base, MANAGEMENT_PORT: '9100', MANAGEMENT_HOST: '0.0.0.0' }))).toEqual({ port: 9100, host: '0.0.0.0' });
    expect(() => managementListenFrom(readEnv(shape, { ...base, MANAGEMENT_PORT: '3000' }))).toThrow(/MANAGEMENT_PORT: must differ from PORT/);
    expect(() => managementListenFrom(readEnv(shape, { ...base, PORT: '65000' }))).toThrow(ConfigError);
    expect(() => readEnv(shape, { ...base, MANAGEMENT_PORT: '70000' })).toThrow(/MANAGEMENT_PORT/);
    expect(() => readEnv(shape, { ...base, MANAGEMENT_HOST: 'a host' })).toThrow(/MANAGEMENT_HOST/);
  });

  it('reads RATE_LIMIT_PER_MINUTE, 6000 by default', () => {
    expect(readEnv(shape, base).RATE_LIMIT_PER_MINUTE).toBe(6000);
    expect(() => readEnv(shape, { ...base, RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
  });
});

describe('HTTP_AUTH=insecure-header', () => {
  it("is refused with a service's default HOST (every interface)", () => {
    const env = readEnv(serviceEnvShape({ port: 3000, schema: 'orders', clientId: 'orders' }), { DATABASE_URL: 'postgres://u@localhost/db', KAFKA_BROKERS: 'localhost:9092', KAFKA_SECURITY_PROTOCOL: 'plaintext', HTTP_AUTH: 'insecure-header' });
    expect(env.HOST).toBe('0.0.0.0');
    expect(() => callerIdentificationFrom(env, { variable: 'HOST', host: env.HOST })).toThrow(/HTTP_AUTH.*HOST is "0.0.0.0"/);
  });
});
