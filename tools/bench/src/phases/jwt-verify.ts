/**
 * Microbench: what verifying one bearer token costs a service, per signing algorithm, through the
 * services' own verifier (createTokenVerifier: jose's jwtVerify with the imported public key, the
 * issuer, audience and expiry checks). Sequential verifications of one token on one core, after a
 * warm-up; the median of several rounds. It picks the algorithm of the local signing key
 * (tools/local-stack/src/signing-key.ts): services verify on every request, tokens are signed
 * rarely, so verification time is what counts.
 */
import { createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTokenVerifier, DEFAULT_TOKEN_AUDIENCE, DEFAULT_TOKEN_ISSUER } from '@relay/service-runtime';
import { mintToken, REPO_ROOT } from '@relay/local-stack';

export interface JwtAlgorithmFigures {
  algorithm: 'RS256' | 'ES256' | 'EdDSA';
  key: string;
  /** Median over the rounds of the mean time of one verification. */
  verifyMicroseconds: number;
  verifyPerSecond: number;
  /** The same token again, answered by the verifier's cache of verified tokens. */
  cachedMicroseconds: number;
  signMicroseconds: number;
  tokenBytes: number;
}

export interface JwtVerifyResults {
  command: string;
  node: string;
  jose: string;
  verificationsPerRound: number;
  rounds: number;
  algorithms: JwtAlgorithmFigures[];
  /** The algorithm that verified fastest. */
  fastest: JwtAlgorithmFigures['algorithm'];
}

const KEYS: Array<{ algorithm: JwtAlgorithmFigures['algorithm']; key: string; make: () => KeyObject }> = [
  { algorithm: 'RS256', key: 'RSA 2048', make: () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey },
  { algorithm: 'ES256', key: 'EC P-256', make: () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey },
  { algorithm: 'EdDSA', key: 'Ed25519', make: () => generateKeyPairSync('ed25519').privateKey },
];

async function timeEach(count: number, work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await work();
  return Number(process.hrtime.bigint() - started) / 1000 / count;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function runJwtVerify(options: { command: string; verifications?: number; rounds?: number }): Promise<JwtVerifyResults> {
  const verifications = options.verifications ?? 20_000;
  const rounds = options.rounds ?? 5;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'relay-jwt-bench-'));
  const figures: JwtAlgorithmFigures[] = [];
  try {
    for (const { algorithm, key, make } of KEYS) {
      const privateKey = make();
      const publicKeyFile = path.join(dir, `${algorithm}.pem`);
      // The services get the public half only, as AUTH_PUBLIC_KEY_FILE.
      await writeFile(publicKeyFile, createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }));
      const settings = { keys: { kind: 'public-key-file' as const, path: publicKeyFile }, issuer: DEFAULT_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, clockToleranceSeconds: 5 };
      // No cache: every verification checks the signature (what a token's first request costs).
      const verifier = await createTokenVerifier(settings, { cacheEntries: 0 });
      const caching = await createTokenVerifier(settings);
      const token = await mintToken(privateKey, { subject: 'c-bench', roles: [] });
      const check = await verifier.verify(token);
      if (!check.ok) throw new Error(`${algorithm}: the bench token does not verify: ${check.refusal.reason}`);
      await timeEach(Math.min(2_000, verifications), () => verifier.verify(token));
      const verify: number[] = [];
      for (let round = 0; round < rounds; round++) verify.push(await timeEach(verifications, () => verifier.verify(token)));
      await caching.verify(token);
      const cached = await timeEach(verifications, () => caching.verify(token));
      const sign = await timeEach(Math.max(50, Math.floor(verifications / 100)), () => mintToken(privateKey, { subject: 'c-bench' }));
      const verifyMicroseconds = Math.round(median(verify) * 10) / 10;
      figures.push({ algorithm, key, verifyMicroseconds, verifyPerSecond: Math.round(1e6 / verifyMicroseconds), cachedMicroseconds: Math.round(cached * 100) / 100, signMicroseconds: Math.round(sign * 10) / 10, tokenBytes: token.length });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const fastest = [...figures].sort((a, b) => a.verifyMicroseconds - b.verifyMicroseconds)[0].algorithm;
  const jose = JSON.parse(await readFile(path.join(REPO_ROOT, 'node_modules', 'jose', 'package.json'), 'utf8')) as { version: string };
  return { command: options.command, node: process.version, jose: jose.version, verificationsPerRound: verifications, rounds, algorithms: figures, fastest };
}

export function formatJwtVerify(results: JwtVerifyResults): string[] {
  return [
    `JWT verification per token (${results.verificationsPerRound} sequential verifications x ${results.rounds} rounds, median; Node ${results.node}, jose ${results.jose}):`,
    ...results.algorithms.map(
      (figure) =>
        `  ${figure.algorithm.padEnd(6)} ${figure.key.padEnd(9)} verify ${figure.verifyMicroseconds.toFixed(1).padStart(7)} µs (${figure.verifyPerSecond.toLocaleString('en-US')}/s per core)   cached ${figure.cachedMicroseconds.toFixed(2)} µs   sign ${figure.signMicroseconds.toFixed(1).padStart(8)} µs   token ${figure.tokenBytes} B`,
    ),
    `  fastest to verify: ${results.fastest}`,
  ];
}
