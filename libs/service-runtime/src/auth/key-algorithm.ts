import type { KeyObject } from 'node:crypto';
import { ACCEPTED_ALGORITHMS } from './auth.settings';

/** The JWS algorithm a public key verifies, by its type: one key, one algorithm (no algorithm confusion). */
export function algorithmOf(key: KeyObject): (typeof ACCEPTED_ALGORITHMS)[number] {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return 'RS256';
  throw new Error(`unsupported key (${type}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''}): use Ed25519, EC P-256 or RSA of 2048 bits or more`);
}

