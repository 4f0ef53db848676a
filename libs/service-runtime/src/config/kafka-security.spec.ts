import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeKafkaSecurity, kafkaClientSecurity, readKafkaSecurity } from './kafka-security';
import { ConfigError } from './read-env';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function caFile(text = PEM): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'kafka-security-spec-')), 'ca.pem');
  writeFileSync(file, text);
  return file;
}

describe('Kafka security settings', () => {
  it('are SASL_SSL with SCRAM-SHA-512 by default, and then need a username and a password', () => {
    expect(() => readKafkaSecurity({})).toThrow(ConfigError);
    expect(() => readKafkaSecurity({})).toThrow(/KAFKA_USERNAME: required[\s\S]*KAFKA_PASSWORD: required/);
    const security = readKafkaSecurity({ KAFKA_USERNAME: 'inventory', KAFKA_PASSWORD: 's3cret' });
    expect(security).toEqual({ protocol: 'sasl_ssl', mechanism: 'scram-sha-512', username: 'inventory', password: 's3cret', caFile: undefined, ca: undefined });
  });

  it('give kafkajs TLS that verifies the broker against the CA file, and the SASL login', () => {
    const file = caFile();
    const options = kafkaClientSecurity(readKafkaSecurity({ KAFKA_USERNAME: 'orders', KAFKA_PASSWORD: 'pw', KAFKA_SSL_CA_FILE: file }));
    expect(options).toEqual({ ssl: { ca: [PEM], rejectUnauthorized: true }, sasl: { mechanism: 'scram-sha-512', username: 'orders', password: 'pw' } });
  });

  it('are plaintext only when said explicitly, with nothing else needed', () => {
    expect(readKafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'plaintext' })).toEqual({ protocol: 'plaintext' });
    expect(kafkaClientSecurity({ protocol: 'plaintext' })).toEqual({});
  });

  it('refuse an unknown protocol or mechanism, naming the variable', () => {
    expect(() => readKafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'ssl', KAFKA_USERNAME: 'a', KAFKA_PASSWORD: 'b' })).toThrow(/KAFKA_SECURITY_PROTOCOL: .*\(got "ssl"\)/);
    expect(() => readKafkaSecurity({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_USERNAME: 'a', KAFKA_PASSWORD: 'b' })).toThrow(/KAFKA_SASL_MECHANISM: .*\(got "gssapi"\)/);
  });

  it('refuse a CA file that cannot be read or holds no certificate, at start-up', () => {
    expect(() => readKafkaSecurity({ KAFKA_USERNAME: 'a', KAFKA_PASSWORD: 'b', KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' })).toThrow(/KAFKA_SSL_CA_FILE: cannot be read: ENOENT/);
    expect(() => readKafkaSecurity({ KAFKA_USERNAME: 'a', KAFKA_PASSWORD: 'b', KAFKA_SSL_CA_FILE: caFile('not a pem') })).toThrow(/KAFKA_SSL_CA_FILE: holds no PEM certificate/);
  });

  it('never show the password, in errors or in the start-up description', () => {
    const tooLong = 'p'.repeat(1025);
    let message = '';
    try {
      readKafkaSecurity({ KAFKA_USERNAME: 'a', KAFKA_PASSWORD: tooLong });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/KAFKA_PASSWORD: .*not shown: it is a secret/);
    expect(message).not.toContain(tooLong);
    const described = describeKafkaSecurity(readKafkaSecurity({ KAFKA_USERNAME: 'delivery', KAFKA_PASSWORD: 'hunter2' }));
    expect(described).toBe('SASL_SSL SCRAM-SHA-512 as "delivery", system CAs');
    expect(described).not.toContain('hunter2');
  });
});
