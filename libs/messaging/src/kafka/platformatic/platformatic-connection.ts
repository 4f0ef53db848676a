import { isIP } from 'node:net';
import type { BaseOptions, SASLMechanismValue } from '@platformatic/kafka';
import type { KafkaSecurity } from '@relay/service-runtime';

/** What a @platformatic/kafka client needs to reach the brokers: kafkaClientSecurity's counterpart. */
export type PlatformaticConnection = Pick<BaseOptions, 'bootstrapBrokers' | 'tls' | 'tlsServerName' | 'sasl'>;

/** Whether a broker, "host:port" or "[v6]:port", is named by its IP address. */
const byAddress = (broker: string): boolean => isIP(broker.slice(0, broker.lastIndexOf(':')).replace(/^\[|\]$/g, '')) !== 0;

/**
 * The same login and the same checks as the kafkajs client: TLS verifying the broker's certificate
 * and host name (or IP address) against the CA, never turned off; SNI with the broker's host name
 * where kafkajs sends it, not for an IP address (RFC 6066 forbids it, and Node warns); the same SASL
 * mechanism and principal.
 */
export function platformaticConnection(brokers: readonly string[], security: KafkaSecurity): PlatformaticConnection {
  const bootstrapBrokers = [...brokers];
  if (security.protocol === 'plaintext') return { bootstrapBrokers };
  return {
    bootstrapBrokers,
    tls: { ...(security.ca ? { ca: [security.ca] } : {}), rejectUnauthorized: true },
    tlsServerName: !bootstrapBrokers.some(byAddress),
    // The library spells the mechanisms in capitals ('SCRAM-SHA-512'); ours are the same names in lower case.
    sasl: { mechanism: security.mechanism.toUpperCase() as SASLMechanismValue, username: security.username, password: security.password },
  };
}
