import path from 'node:path';
import { authEnvFor, ensureSigningKey, mintToken } from '@relay/local-stack';
import { ADMIN_ROLE } from '@relay/service-runtime';
import { BENCH_CUSTOMERS, benchCustomerId } from './load-protocol';


export interface BenchAuth {
  /** For every Relay service the bench starts: where the public key is. */
  serviceEnv: Record<string, string>;
  /** An operator's token (PUT /stock). */
  admin: string;
  /** customers[i] is benchCustomerId(i)'s token. */
  customers: string[];
}

let current: BenchAuth | undefined;

/** Makes the run's key pair (in its results folder) and its tokens, once per bench run. */
export async function prepareBenchAuth(resultsDir: string): Promise<BenchAuth> {
  const key = await ensureSigningKey(path.join(resultsDir, 'auth'));
  const ttlSeconds = 24 * 3_600;
  const customers = await Promise.all(Array.from({ length: BENCH_CUSTOMERS }, (_, i) => mintToken(key.privateKey, { subject: benchCustomerId(i), ttlSeconds })));
  current = { serviceEnv: authEnvFor(key), admin: await mintToken(key.privateKey, { subject: 'bench', roles: [ADMIN_ROLE], ttlSeconds }), customers };
  return current;
}

/** The run's tokens (prepareBenchAuth ran when the stack started). */
export function benchAuth(): BenchAuth {
  if (!current) throw new Error('bench tokens used before prepareBenchAuth (BenchStack.start) made them');
  return current;
}
