import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, readEnv } from './read-env';

/**
 * How a Kafka client proves who it is and checks whom it talks to: the one home of the KAFKA_*
 * security settings, for the services (serviceEnvShape), the ops CLI, the bench and the tests alike.
 * No imports beyond zod and ./read-env: the local stack loads this file by path (Jest global setups
 * resolve no path aliases).
 */
export const KAFKA_SASL_MECHANISMS = ['scram-sha-512', 'scram-sha-256', 'plain'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

export const kafkaSecurityEnvShape = {
  /** `sasl_ssl` (default): TLS and a SASL login. `plaintext`: neither, for a broker that offers nothing else; say it explicitly. */
  KAFKA_SECURITY_PROTOCOL: z.enum(['sasl_ssl', 'plaintext']).default('sasl_ssl'),
  KAFKA_SASL_MECHANISM: z.enum(KAFKA_SASL_MECHANISMS).default('scram-sha-512'),
  KAFKA_USERNAME: z.string().max(255, 'at most 255 characters').optional(),
  KAFKA_PASSWORD: z.string().max(1024, 'at most 1024 characters').optional(),
  /** PEM file of the CA(s) that signed the brokers' certificates; unset: the system's trusted CAs. */
  KAFKA_SSL_CA_FILE: z.string().optional(),
};

export interface KafkaSecurityEnv {
  KAFKA_SECURITY_PROTOCOL: 'sasl_ssl' | 'plaintext';
  KAFKA_SASL_MECHANISM: KafkaSaslMechanism;
  KAFKA_USERNAME?: string;
  KAFKA_PASSWORD?: string;
  KAFKA_SSL_CA_FILE?: string;
}

export type KafkaSecurity =
  | { protocol: 'plaintext' }
  | {
      protocol: 'sasl_ssl';
      mechanism: KafkaSaslMechanism;
      username: string;
      password: string;
      /** Where the CA came from, for messages; undefined: the system's CAs. */
      caFile?: string;
      /** The PEM text of caFile, read once at start-up. */
      ca?: string;
    };

/**
 * The validated settings as one value. SASL_SSL needs a username and a password, and a CA file that
 * can be read: each problem names its variable (never a password's value), so a misconfigured
 * deployment stops at boot instead of failing its first Kafka request.
 */
export function kafkaSecurityFrom(env: KafkaSecurityEnv): KafkaSecurity {
  if (env.KAFKA_SECURITY_PROTOCOL === 'plaintext') return { protocol: 'plaintext' };
  const problems: string[] = [];
  if (!env.KAFKA_USERNAME) problems.push('KAFKA_USERNAME: required with KAFKA_SECURITY_PROTOCOL=sasl_ssl (the default); set KAFKA_SECURITY_PROTOCOL=plaintext for a broker without authentication (not set)');
  if (!env.KAFKA_PASSWORD) problems.push('KAFKA_PASSWORD: required with KAFKA_SECURITY_PROTOCOL=sasl_ssl (the default) (not set)');
  let ca: string | undefined;
  if (env.KAFKA_SSL_CA_FILE) {
    try {
      ca = readFileSync(env.KAFKA_SSL_CA_FILE, 'utf8');
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) problems.push(`KAFKA_SSL_CA_FILE: holds no PEM certificate (got "${env.KAFKA_SSL_CA_FILE}")`);
    } catch (error) {
      problems.push(`KAFKA_SSL_CA_FILE: cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (got "${env.KAFKA_SSL_CA_FILE}")`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { protocol: 'sasl_ssl', mechanism: env.KAFKA_SASL_MECHANISM, username: env.KAFKA_USERNAME!, password: env.KAFKA_PASSWORD!, caFile: env.KAFKA_SSL_CA_FILE, ca };
}

/** Reads and validates the KAFKA_* security variables alone (tools and tests; services read them with serviceEnvShape). */
export function readKafkaSecurity(env: NodeJS.ProcessEnv = process.env): KafkaSecurity {
  return kafkaSecurityFrom(readEnv(kafkaSecurityEnvShape, env));
}

/**
 * The `ssl` and `sasl` options of a kafkajs client (structurally: this library does not import
 * kafkajs). TLS verifies the broker's certificate and host name against the CA; nothing ever
 * turns verification off.
 */
export function kafkaClientSecurity(security: KafkaSecurity): KafkaClientSecurity {
  if (security.protocol === 'plaintext') return {};
  return {
    ssl: { ...(security.ca ? { ca: [security.ca] } : {}), rejectUnauthorized: true },
    sasl: { mechanism: security.mechanism, username: security.username, password: security.password } as KafkaSasl,
  };
}

/** kafkajs's SASL options: one object type per mechanism. */
type KafkaSasl = { [M in KafkaSaslMechanism]: { mechanism: M; username: string; password: string } }[KafkaSaslMechanism];

export interface KafkaClientSecurity {
  ssl?: { ca?: string[]; rejectUnauthorized: true };
  sasl?: KafkaSasl;
}

/** For start-up logs: how the client connects and as whom, never the password. */
export function describeKafkaSecurity(security: KafkaSecurity): string {
  if (security.protocol === 'plaintext') return 'PLAINTEXT (no TLS, no authentication)';
  return `SASL_SSL ${security.mechanism.toUpperCase()} as "${security.username}"${security.caFile ? `, CA ${security.caFile}` : ', system CAs'}`;
}

/** The variables that give a client `security` (what a parent process passes to the services it starts). */
export function kafkaSecurityEnv(security: { username: string; password: string; caFile: string } | 'plaintext'): Record<string, string> {
  if (security === 'plaintext') return { KAFKA_SECURITY_PROTOCOL: 'plaintext' };
  return {
    KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_USERNAME: security.username,
    KAFKA_PASSWORD: security.password,
    KAFKA_SSL_CA_FILE: security.caFile,
  };
}
