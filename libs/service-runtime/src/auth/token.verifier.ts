import { createPublicKey, KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRemoteJWKSet, errors, JWTVerifyGetKey, jwtVerify } from 'jose';
import { ConfigError } from '../config/read-env';
import { ACCEPTED_ALGORITHMS, AuthSettings, ROLES_CLAIM } from './auth.settings';
import { algorithmOf } from './key-algorithm';
import { Principal } from './principal';
import { VerifiedTokenCache } from './verified-token.cache';

/** Verified tokens remembered per instance (a few hundred bytes each: about 5 MB when full). */
export const VERIFIED_TOKEN_CACHE_ENTRIES = 10_000;

/** Why a token was refused: `code` is stable, `reason` is for the caller and the log (never the token itself). */
export interface TokenRefusal {
  code: 'AUTH.TOKEN_EXPIRED' | 'AUTH.TOKEN_INVALID' | 'AUTH.KEYS_UNAVAILABLE';
  reason: string;
}

export type Verification = { ok: true; principal: Principal } | { ok: false; refusal: TokenRefusal };

export interface TokenVerifier {
  verify(token: string): Promise<Verification>;
}

/** The token of an `Authorization: Bearer <token>` header; undefined for any other scheme or shape. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header ?? '');
  return match?.[1];
}

/** Reads a PEM (SPKI, or a private key whose public half is taken) or JWK public key; a bad file is a ConfigError naming the variable. */
export async function readPublicKeyFile(path: string, variable = 'AUTH_PUBLIC_KEY_FILE'): Promise<KeyObject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`${variable}: cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  try {
    const trimmed = text.trim();
    const key = trimmed.startsWith('{')
      ? createPublicKey({ key: JSON.parse(trimmed) as import('node:crypto').JsonWebKey, format: 'jwk' })
      : createPublicKey(trimmed);
    algorithmOf(key);
    return key;
  } catch (error) {
    throw new ConfigError([`${variable}: "${path}" is not a usable PEM or JWK public key: ${(error as Error).message}`]);
  }
}

/**
 * Verifies bearer JWTs: signature (by a key of the configured source, with the algorithm that key
 * is for), `iss`, `aud`, `exp` (required) and `nbf`, and a `sub`. A static key is imported once
 * here; a JWKS is fetched on first use and whenever a token names a `kid` it does not hold, and
 * cached (jose's createRemoteJWKSet: at most one refetch per 30 s cooldown, so unknown `kid`s
 * cannot make the service hammer the identity provider). A token that verified is remembered until
 * its `exp` (VerifiedTokenCache), so a client's next requests with it skip the signature check.
 */
export async function createTokenVerifier(settings: AuthSettings, options: { cacheEntries?: number } = {}): Promise<TokenVerifier> {
  const cache = new VerifiedTokenCache(options.cacheEntries ?? VERIFIED_TOKEN_CACHE_ENTRIES);
  let key: KeyObject | JWTVerifyGetKey;
  let algorithms: string[];
  if (settings.keys.kind === 'public-key-file') {
    key = await readPublicKeyFile(settings.keys.path);
    algorithms = [algorithmOf(key)];
  } else {
    key = createRemoteJWKSet(settings.keys.url, { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    algorithms = [...ACCEPTED_ALGORITHMS];
  }
  const checks = {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms,
    requiredClaims: ['exp', 'sub'],
    clockTolerance: settings.clockToleranceSeconds,
  };
  return {
    async verify(token: string): Promise<Verification> {
      const cached = cache.get(token);
      if (cached) return { ok: true, principal: cached };
      try {
        // Two call shapes, one behaviour: TypeScript cannot pick the overload from the union.
        const { payload } = typeof key === 'function' ? await jwtVerify(token, key, checks) : await jwtVerify(token, key, checks);
        const roles = payload[ROLES_CLAIM];
        if (roles !== undefined && !(Array.isArray(roles) && roles.every((role) => typeof role === 'string'))) {
          return { ok: false, refusal: { code: 'AUTH.TOKEN_INVALID', reason: `the "${ROLES_CLAIM}" claim must be an array of strings` } };
        }
        const principal: Principal = { subject: payload.sub!, roles: (roles as string[] | undefined) ?? [] };
        cache.set(token, principal, payload.exp!);
        return { ok: true, principal };
      } catch (error) {
        return { ok: false, refusal: refusalOf(error) };
      }
    },
  };
}

function refusalOf(error: unknown): TokenRefusal {
  if (error instanceof errors.JWTExpired) return { code: 'AUTH.TOKEN_EXPIRED', reason: 'the token has expired' };
  if (error instanceof errors.JWTClaimValidationFailed) return { code: 'AUTH.TOKEN_INVALID', reason: `the token's "${error.claim}" claim is ${error.reason === 'missing' ? 'missing' : 'not accepted'}` };
  if (error instanceof errors.JWSSignatureVerificationFailed) return { code: 'AUTH.TOKEN_INVALID', reason: 'the token signature does not verify' };
  if (error instanceof errors.JOSEAlgNotAllowed) return { code: 'AUTH.TOKEN_INVALID', reason: 'the token is signed with an algorithm that is not accepted' };
  if (error instanceof errors.JWKSNoMatchingKey) return { code: 'AUTH.TOKEN_INVALID', reason: 'no known key matches the token' };
  // The identity provider's keys could not be fetched: not the caller's fault, but nothing is verified either.
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return { code: 'AUTH.KEYS_UNAVAILABLE', reason: 'the keys that verify tokens are unavailable' };
  if (error instanceof errors.JOSEError) return { code: 'AUTH.TOKEN_INVALID', reason: 'the token is malformed' };
  if (error instanceof TypeError || error instanceof SyntaxError) return { code: 'AUTH.TOKEN_INVALID', reason: 'the token is malformed' };
  return { code: 'AUTH.KEYS_UNAVAILABLE', reason: 'the keys that verify tokens are unavailable' };
}
