import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
// The token claims the services expect, from their own auth settings. By file path: this
// package's index is also loaded by Jest's globalSetup, where path aliases do not resolve.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { DEFAULT_TOKEN_AUDIENCE, DEFAULT_TOKEN_ISSUER, ROLES_CLAIM } from '../../../libs/service-runtime/src/auth/auth.settings';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { algorithmOf } from '../../../libs/service-runtime/src/auth/key-algorithm';
import { LOCAL_STATE_DIR } from './repo-paths';

/** Where `npm start` keeps its token-signing key pair (git-ignored, like all of .relay). */
export const LOCAL_AUTH_DIR = path.join(LOCAL_STATE_DIR, 'auth');

/**
 * The local signing key's type. RSA 2048 (RS256), chosen by measurement: of RS256, ES256 and
 * EdDSA it verifies a token fastest with jose on Node 24 (`npm run bench -- --phases jwt`, figures
 * in docs/performance.md), and services verify on every request while tokens are signed rarely.
 */
export const LOCAL_SIGNING_KEY_TYPE = { type: 'rsa', modulusLength: 2048 } as const;

export interface SigningKey {
  privateKey: KeyObject;
  /** The PEM public key the services verify with (AUTH_PUBLIC_KEY_FILE). */
  publicKeyFile: string;
}

const PRIVATE_KEY_FILE = 'signing-key.pem';
const PUBLIC_KEY_FILE = 'signing-key.pub.pem';

/**
 * The key pair in `dir`, made on first use: the private key readable by its owner only (0600),
 * the public key beside it. Later calls reuse it, so tokens minted earlier stay valid across restarts.
 */
export async function ensureSigningKey(dir: string = LOCAL_AUTH_DIR): Promise<SigningKey> {
  const privateFile = path.join(dir, PRIVATE_KEY_FILE);
  const publicKeyFile = path.join(dir, PUBLIC_KEY_FILE);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(privateFile, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${privateFile} holds no usable private key (delete it to make a new one): ${(error as Error).message}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    privateKey = generateKeyPairSync(LOCAL_SIGNING_KEY_TYPE.type, { modulusLength: LOCAL_SIGNING_KEY_TYPE.modulusLength }).privateKey;
    // `wx`: two starts racing cannot both write; mode applies at creation, chmod covers a umask.
    await writeFile(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' }).catch(async (raced: NodeJS.ErrnoException) => {
      if (raced.code !== 'EEXIST') throw raced;
      privateKey = createPrivateKey(await readFile(privateFile, 'utf8'));
    });
    await chmod(privateFile, 0o600);
  }
  await writeFile(publicKeyFile, createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  return { privateKey, publicKeyFile };
}

/** The signing key `npm start` made, for tools minting tokens for it (ops token, seed); a clear error before the first start. */
export async function readLocalSigningKey(dir: string = LOCAL_AUTH_DIR): Promise<KeyObject> {
  const file = path.join(dir, PRIVATE_KEY_FILE);
  try {
    return createPrivateKey(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no local signing key at ${file}: run \`npm start\` once, which makes it`);
    throw error;
  }
}

export interface TokenClaims {
  /** The customer id for a customer; any name for an operator. */
  subject: string;
  roles?: string[];
  ttlSeconds?: number;
  issuer?: string;
  audience?: string;
}

export const DEFAULT_TOKEN_TTL_SECONDS = 3_600;

/** A bearer JWT the services accept (their default issuer and audience), signed with `privateKey`. */
export async function mintToken(privateKey: KeyObject, claims: TokenClaims): Promise<string> {
  // Loaded when first needed: jose is an ES module, and globalSetup (see above) need not load it.
  const { SignJWT } = await import('jose');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims.roles && claims.roles.length > 0 ? { [ROLES_CLAIM]: claims.roles } : {})
    .setProtectedHeader({ alg: algorithmOf(createPublicKey(privateKey)), typ: 'JWT' })
    .setSubject(claims.subject)
    .setIssuer(claims.issuer ?? DEFAULT_TOKEN_ISSUER)
    .setAudience(claims.audience ?? DEFAULT_TOKEN_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS))
    .sign(privateKey);
}

/** The environment that points a service at a signing key's public half. */
export const authEnvFor = (key: SigningKey): Record<string, string> => ({ AUTH_PUBLIC_KEY_FILE: key.publicKeyFile });
