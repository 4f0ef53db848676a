import { kafkaClientSecurity, KafkaSecurity } from '@relay/service-runtime';
import { platformaticConnection } from './platformatic-connection';

describe('platformaticConnection', () => {
  it('logs @platformatic/kafka in as kafkajs: same brokers, CA, host-name check, mechanism and principal', () => {
    const security: KafkaSecurity = { protocol: 'sasl_ssl', mechanism: 'scram-sha-512', username: 'admin', password: 'pw', caFile: 'ca.pem', ca: '-----BEGIN CERTIFICATE-----' };
    const kafkajs = kafkaClientSecurity(security);
    const connection = platformaticConnection(['localhost:19093', 'localhost:19094'], security);
    expect(connection).toEqual({
      bootstrapBrokers: ['localhost:19093', 'localhost:19094'],
      tls: kafkajs.ssl,
      tlsServerName: true,
      sasl: { mechanism: 'SCRAM-SHA-512', username: kafkajs.sasl!.username, password: kafkajs.sasl!.password },
    });
    // No SNI for an IP address, as kafkajs: the certificate is still checked against the address.
    expect(platformaticConnection(['127.0.0.1:19093'], security)).toMatchObject({ tls: kafkajs.ssl, tlsServerName: false });
    expect(platformaticConnection(['[::1]:19093'], security)).toMatchObject({ tlsServerName: false });
    expect(platformaticConnection(['localhost:9092'], { protocol: 'plaintext' })).toEqual({ bootstrapBrokers: ['localhost:9092'] });
  });

});
