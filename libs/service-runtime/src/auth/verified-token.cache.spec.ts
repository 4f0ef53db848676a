import { VerifiedTokenCache } from './verified-token.cache';

describe('VerifiedTokenCache', () => {
  const principal = (subject: string) => ({ subject, roles: [] });

  it("returns a verified token's caller until the token expires, and not after", () => {
    let now = 1_000_000;
    const cache = new VerifiedTokenCache(10, () => now);
    cache.set('t1', principal('c-1'), 1_000 + 60);
    expect(cache.get('t1')).toEqual(principal('c-1'));
    now = (1_000 + 60) * 1000;
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps at most maxEntries, dropping the least recently used first', () => {
    const cache = new VerifiedTokenCache(2, () => 0);
    cache.set('a', principal('a'), 100);
    cache.set('b', principal('b'), 100);
    expect(cache.get('a')).toBeDefined();
    cache.set('c', principal('c'), 100);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });

  it('keeps nothing with maxEntries 0', () => {
    const cache = new VerifiedTokenCache(0, () => 0);
    cache.set('a', principal('a'), 100);
    expect(cache.get('a')).toBeUndefined();
  });
});
