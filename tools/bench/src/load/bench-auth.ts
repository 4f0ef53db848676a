import path from 'node:path';
import { authEnvFor, ensureSigningKey, mintToken } from '@relay/local-stack';
import { ADMIN_ROLE, ROLES_HEADER, SUBJECT_HEADER } from '@relay/service-runtime';
import type { SecuritySetting } from '../options';
import { BENCH_CUSTOMERS, benchCustomerId, LoadCredentials } from './load-protocol';

/** How the bench's requests say who they are, on the stack of one security setting. */
export interface BenchAuth {
  security: SecuritySetting;
  /** For every Relay service the bench starts: where the public key is, or the unverified mode and its loopback HOST. */
  serviceEnv: Record<string, string>;
  /** An operator's credentials (PUT /stock). */
  adminHeaders: Record<string, string>;
  /** What the load generator sends: request i is customer benchCustomerId(i)'s. */
  customers: LoadCredentials;
}

/** The operator the bench acts as. */
const BENCH_OPERATOR = 'bench';

let current: BenchAuth | undefined;

/**
 * Secured: makes the run's key pair (in its results folder) and its tokens, once per stack.
 * Insecure: no keys; the services believe X-Relay-Subject (HTTP_AUTH=insecure-header, which they
 * accept only on a loopback HOST), so the requests differ from the secured ones only by carrying
 * that header instead of a token.
 */
export async function prepareBenchAuth(resultsDir: string, security: SecuritySetting): Promise<BenchAuth> {
  const customerIds = Array.from({ length: BENCH_CUSTOMERS }, (_, i) => benchCustomerId(i));
  if (security === 'insecure') {
    current = {
      security,
      serviceEnv: { HTTP_AUTH: 'insecure-header', HOST: '127.0.0.1' },
      adminHeaders: { [SUBJECT_HEADER]: BENCH_OPERATOR, [ROLES_HEADER]: ADMIN_ROLE },
      customers: { header: SUBJECT_HEADER, values: customerIds },
    };
    return current;
  }
  const key = await ensureSigningKey(path.join(resultsDir, 'auth'));
  const ttlSeconds = 24 * 3_600;
  const tokens = await Promise.all(customerIds.map((subject) => mintToken(key.privateKey, { subject, ttlSeconds })));
  const admin = await mintToken(key.privateKey, { subject: BENCH_OPERATOR, roles: [ADMIN_ROLE], ttlSeconds });
  current = {
    security,
    serviceEnv: authEnvFor(key),
    adminHeaders: { authorization: `Bearer ${admin}` },
    customers: { header: 'authorization', values: tokens.map((token) => `Bearer ${token}`) },
  };
  return current;
}

/** The credentials of the stack running now (prepareBenchAuth ran when it started). */
export function benchAuth(): BenchAuth {
  if (!current) throw new Error('bench credentials used before prepareBenchAuth (BenchStack.start) made them');
  return current;
}
