import { z } from 'zod';
import { ConfigError } from '../config/read-env';

/** Issuer and audience a token must name when AUTH_ISSUER / AUTH_AUDIENCE are not set (what `npm start` and the test stack sign). */
export const DEFAULT_TOKEN_ISSUER = 'relay-local';
export const DEFAULT_TOKEN_AUDIENCE = 'relay-api';

/** The claim listing a token's roles (`["admin"]`); a token without it is a customer's, its `sub` the customer id. */
export const ROLES_CLAIM = 'roles';

/** Only asymmetric algorithms: a service holds public keys only, so a leaked config signs nothing. `none` and HS* are never accepted. */
export const ACCEPTED_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;

/**
 * How a service learns who is calling (HTTP_AUTH). `bearer`: the caller proves it with a JWT the
 * service verifies. `insecure-header`: the caller is whoever its identity headers say
 * (asserted-identity.ts), unverified, as a service behind a gateway trusts the gateway's headers;
 * it exists to measure what verification costs (bench --insecure), and is fenced to loopback
 * (callerIdentificationFrom).
 */
export const HTTP_AUTH_MODES = ['bearer', 'insecure-header'] as const;
export type HttpAuthMode = (typeof HTTP_AUTH_MODES)[number];

/** Where the token-verification keys come from, and what tokens must say (see authSettingsFrom). */
export function authEnvShape() {
  return {
    /** `bearer` (default) or `insecure-header`; see HTTP_AUTH_MODES. */
    HTTP_AUTH: z.enum(HTTP_AUTH_MODES, { error: `must be one of ${HTTP_AUTH_MODES.join(', ')}` }).default('bearer'),
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
  HTTP_AUTH: HttpAuthMode;
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
 * Exactly one key source must be given: a service that verifies tokens needs keys to verify them
 * with, and two sources would leave which one wins to chance.
 */
export function authSettingsFrom(env: Omit<AuthEnv, 'HTTP_AUTH'>): AuthSettings {
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

/** How a service identifies its callers, decided once at start-up (see callerIdentificationFrom). */
export type CallerIdentification = { mode: 'bearer'; settings: AuthSettings } | { mode: 'insecure-header'; host: string };

/** The public listener a fence looks at: the variable that sets its address, and that address. */
export interface PublicListener {
  variable: string;
  host: string;
}

/** 127.0.0.0/8, ::1 or localhost: an address only this machine can connect to. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * `bearer` needs its keys (authSettingsFrom). `insecure-header` believes any caller's headers, so
 * it starts only where nobody but this machine can reach the public port: a service configured
 * with it on a routable address refuses to start, naming both variables, instead of quietly
 * letting anyone be an admin. It needs no keys (it verifies nothing).
 */
export function callerIdentificationFrom(env: AuthEnv, listener: PublicListener): CallerIdentification {
  if (env.HTTP_AUTH === 'bearer') return { mode: 'bearer', settings: authSettingsFrom(env) };
  if (!isLoopbackHost(listener.host)) {
    throw new ConfigError([
      `HTTP_AUTH: "insecure-header" trusts every caller's identity headers, so it runs only on a loopback address; ${listener.variable} is "${listener.host}" (set ${listener.variable}=127.0.0.1, or HTTP_AUTH=bearer)`,
    ]);
  }
  return { mode: 'insecure-header', host: listener.host };
}
