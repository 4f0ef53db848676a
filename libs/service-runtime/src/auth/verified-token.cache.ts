import { Principal } from './principal';

/**
 * Tokens already verified, so a client sending the same token request after request pays for one
 * signature check, not one per request (about 60 µs each, see docs/security.md). A token is
 * immutable and was verified in full (signature, issuer, audience); what can change is only time,
 * so an entry lives until the token's `exp` and no longer. Refusals are not kept (garbage cannot
 * fill it). Least recently used entries go first beyond `maxEntries`.
 *
 * Consequence: a key removed from the issuer's JWKS stops verifying new tokens at once, but tokens
 * it signed that are cached stay accepted until they expire, as they would be by any service that
 * verified them before the rotation.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { principal: Principal; expiresAtMs: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(token: string): Principal | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    if (entry.expiresAtMs <= this.now()) return undefined;
    this.entries.set(token, entry);
    return entry.principal;
  }

  set(token: string, principal: Principal, expiresAtSeconds: number): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(token);
    this.entries.set(token, { principal, expiresAtMs: expiresAtSeconds * 1000 });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
