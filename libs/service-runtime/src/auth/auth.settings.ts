import { z } from 'zod';
import { ConfigError } from '../config/read-env';

/** Issuer and audience a token must name when AUTH_ISSUER / AUTH_AUDIENCE are not set (what `npm start` and the test stack sign). */
export const DEFAULT_TOKEN_ISSUER = 'relay-local';
export const DEFAULT_TOKEN_AUDIENCE = 'relay-api';

/** The claim listing a token's roles (`["admin"]`); a token without it is a customer's, its `sub` the customer id. */
export const ROLES_CLAIM = 'roles';

/** Only asymmetric algorithms: a service holds public keys only, so a leaked config signs nothing. `none` and HS* are never accepted. */
export const ACCEPTED_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;

/** Where the token-verification keys come from, and what tokens must say (see authSettingsFrom). */
export function authEnvShape() {
  return {
    /** A JWKS document (an identity provider's `jwks_uri`); fetched when a token names an unknown `kid`, cached. */
    AUTH_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL of a JWKS document' }).optional(),
    /** A file holding one public key, PEM (SPKI) or JWK: read and imported once at start-up. */
    AUTH_PUBLIC_KEY_FILE: z.string().min(1).optional(),
    AUTH_ISSUER: z.string().min(1).max(500).default(DEFAULT_TOKEN_ISSUER),
    AUTH_AUDIENCE: z.string().min(1).max(500).default(DEFAULT_TOKEN_AUDIENCE),
    /** Seconds of clock skew tolerated on `exp` and `nbf`. */
    AUTH_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  };
}

export interface AuthEnv {
  AUTH_JWKS_URL?: string;
  AUTH_PUBLIC_KEY_FILE?: string;
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
  AUTH_CLOCK_TOLERANCE_SECONDS: number;
}

export type KeySource = { kind: 'jwks'; url: URL } | { kind: 'public-key-file'; path: string };

export interface AuthSettings {
  keys: KeySource;
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
}

/**
 * Exactly one key source must be given: a service that verifies nothing must not start (there is
 * no "auth off" setting), and two sources would leave which one wins to chance.
 */
export function authSettingsFrom(env: AuthEnv): AuthSettings {
  const { AUTH_JWKS_URL: jwks, AUTH_PUBLIC_KEY_FILE: file } = env;
  if (jwks && file) throw new ConfigError(['AUTH_JWKS_URL, AUTH_PUBLIC_KEY_FILE: set one of them, not both']);
  if (!jwks && !file) {
    throw new ConfigError(['AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE: required (not set): where the keys that verify bearer tokens come from']);
  }
  return {
    keys: jwks ? { kind: 'jwks', url: new URL(jwks) } : { kind: 'public-key-file', path: file! },
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    clockToleranceSeconds: env.AUTH_CLOCK_TOLERANCE_SECONDS,
  };
}
