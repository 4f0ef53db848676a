import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, SignJWT } from 'jose';
import { ConfigError, readEnv } from '../config/read-env';
import { authEnvShape, AuthSettings, authSettingsFrom, DEFAULT_TOKEN_AUDIENCE, DEFAULT_TOKEN_ISSUER } from './auth.settings';
import { bearerToken, createTokenVerifier, TokenVerifier } from './token.verifier';

const dir = mkdtempSync(path.join(tmpdir(), 'relay-verifier-'));
const keyPair = generateKeyPairSync('ed25519');
const otherKeyPair = generateKeyPairSync('ed25519');
const publicKeyFile = path.join(dir, 'public.pem');
writeFileSync(publicKeyFile, keyPair.publicKey.export({ type: 'spki', format: 'pem' }));

const settings = (overrides: Partial<AuthSettings> = {}): AuthSettings => ({
  keys: { kind: 'public-key-file', path: publicKeyFile },
  issuer: DEFAULT_TOKEN_ISSUER,
  audience: DEFAULT_TOKEN_AUDIENCE,
  clockToleranceSeconds: 0,
  ...overrides,
});

interface TokenOptions {
  key?: KeyObject;
  alg?: string;
  kid?: string;
  issuer?: string;
  audience?: string;
  expiresAt?: number | null;
  subject?: string | null;
  claims?: Record<string, unknown>;
}

function sign(options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(options.claims ?? {})
    .setProtectedHeader({ alg: options.alg ?? 'EdDSA', ...(options.kid ? { kid: options.kid } : {}) })
    .setIssuer(options.issuer ?? DEFAULT_TOKEN_ISSUER)
    .setAudience(options.audience ?? DEFAULT_TOKEN_AUDIENCE)
    .setIssuedAt(now);
  if (options.subject !== null) jwt.setSubject(options.subject ?? 'c-1');
  if (options.expiresAt !== null) jwt.setExpirationTime(options.expiresAt ?? now + 300);
  return jwt.sign(options.key ?? keyPair.privateKey);
}

describe('token verifier (public key file)', () => {
  let verifier: TokenVerifier;
  beforeAll(async () => {
    verifier = await createTokenVerifier(settings());
  });

  it("accepts a well-formed token and reads the caller's subject and roles", async () => {
    expect(await verifier.verify(await sign({ subject: 'c-7' }))).toEqual({ ok: true, principal: { subject: 'c-7', roles: [] } });
    expect(await verifier.verify(await sign({ subject: 'ops', claims: { roles: ['admin'] } }))).toEqual({ ok: true, principal: { subject: 'ops', roles: ['admin'] } });
  });

  it.each([
    ['signed by another key', { key: otherKeyPair.privateKey }, 'AUTH.TOKEN_INVALID', /signature/],
    ['expired', { expiresAt: Math.floor(Date.now() / 1000) - 10 }, 'AUTH.TOKEN_EXPIRED', /expired/],
    ['without exp', { expiresAt: null }, 'AUTH.TOKEN_INVALID', /"exp" claim is missing/],
    ['without sub', { subject: null }, 'AUTH.TOKEN_INVALID', /"sub" claim is missing/],
    ['from another issuer', { issuer: 'someone-else' }, 'AUTH.TOKEN_INVALID', /"iss" claim/],
    ['for another audience', { audience: 'another-api' }, 'AUTH.TOKEN_INVALID', /"aud" claim/],
    ['with roles that are not a list of strings', { claims: { roles: 'admin' } }, 'AUTH.TOKEN_INVALID', /roles/],
  ] as const)('refuses a token %s', async (_what, options, code, reason) => {
    const verification = await verifier.verify(await sign(options as TokenOptions));
    expect(verification).toEqual({ ok: false, refusal: { code, reason: expect.stringMatching(reason) } });
  });

  it('refuses a token signed with another algorithm than its key is for (no algorithm confusion)', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(await verifier.verify(await sign({ key: rsa.privateKey, alg: 'RS256' }))).toMatchObject({ ok: false, refusal: { code: 'AUTH.TOKEN_INVALID' } });
  });

  it('refuses an unsigned (alg "none") token and garbage', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'c-1', iss: DEFAULT_TOKEN_ISSUER, aud: DEFAULT_TOKEN_AUDIENCE, exp: 9_999_999_999 })).toString('base64url');
    expect(await verifier.verify(`${header}.${payload}.`)).toMatchObject({ ok: false, refusal: { code: 'AUTH.TOKEN_INVALID' } });
    expect(await verifier.verify('not-a-token')).toEqual({ ok: false, refusal: { code: 'AUTH.TOKEN_INVALID', reason: 'the token is malformed' } });
  });
});

describe('token verifier (JWKS URL)', () => {
  let server: Server;
  let fetches = 0;
  let verifier: TokenVerifier;
  beforeAll(async () => {
    const jwk = { ...(await exportJWK(keyPair.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
    server = createServer((_request, response) => {
      fetches++;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`);
    verifier = await createTokenVerifier(settings({ keys: { kind: 'jwks', url } }));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('verifies with a key of the set, fetched once and then cached', async () => {
    for (let i = 0; i < 3; i++) expect(await verifier.verify(await sign({ kid: 'k1' }))).toMatchObject({ ok: true });
    expect(fetches).toBe(1);
  });

  it('refuses a token whose key is not in the set', async () => {
    expect(await verifier.verify(await sign({ kid: 'k1', key: otherKeyPair.privateKey }))).toMatchObject({ ok: false, refusal: { code: 'AUTH.TOKEN_INVALID' } });
  });
});

describe('auth settings', () => {
  const env = { AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a', AUTH_CLOCK_TOLERANCE_SECONDS: 5 };

  it('needs exactly one key source, and names the variables when not', () => {
    expect(() => authSettingsFrom(env)).toThrow(ConfigError);
    expect(() => authSettingsFrom(env)).toThrow(/AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE: required/);
    expect(() => authSettingsFrom({ ...env, AUTH_JWKS_URL: 'https://idp/jwks', AUTH_PUBLIC_KEY_FILE: '/k.pem' })).toThrow(/not both/);
    expect(authSettingsFrom({ ...env, AUTH_PUBLIC_KEY_FILE: '/k.pem' }).keys).toEqual({ kind: 'public-key-file', path: '/k.pem' });
  });

  it('validates the variables at start-up like every other, naming the bad one', () => {
    expect(() => readEnv(authEnvShape(), { AUTH_JWKS_URL: 'ftp://idp/jwks' })).toThrow(/AUTH_JWKS_URL: must be an http\(s\) URL/);
    expect(() => readEnv(authEnvShape(), { AUTH_CLOCK_TOLERANCE_SECONDS: '-1' })).toThrow(/AUTH_CLOCK_TOLERANCE_SECONDS/);
    expect(readEnv(authEnvShape(), {})).toMatchObject({ AUTH_ISSUER: DEFAULT_TOKEN_ISSUER, AUTH_AUDIENCE: DEFAULT_TOKEN_AUDIENCE, AUTH_CLOCK_TOLERANCE_SECONDS: 5 });
  });

  it('stops the start with a message naming AUTH_PUBLIC_KEY_FILE when the file is missing or holds no key', async () => {
    await expect(createTokenVerifier(settings({ keys: { kind: 'public-key-file', path: path.join(dir, 'absent.pem') } }))).rejects.toThrow(/AUTH_PUBLIC_KEY_FILE: cannot read/);
    const junk = path.join(dir, 'junk.pem');
    writeFileSync(junk, 'not a key');
    await expect(createTokenVerifier(settings({ keys: { kind: 'public-key-file', path: junk } }))).rejects.toThrow(/AUTH_PUBLIC_KEY_FILE: .* is not a usable PEM or JWK public key/);
  });

  it('takes a JWK file as well as PEM', async () => {
    const jwkFile = path.join(dir, 'public.jwk');
    writeFileSync(jwkFile, JSON.stringify(await exportJWK(keyPair.publicKey)));
    const verifier = await createTokenVerifier(settings({ keys: { kind: 'public-key-file', path: jwkFile } }));
    expect(await verifier.verify(await sign())).toMatchObject({ ok: true });
  });
});

describe('bearerToken', () => {
  it('takes the token of a Bearer header only', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
