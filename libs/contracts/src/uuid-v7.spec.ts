import { z } from 'zod';
import { uuidv7 } from './uuid-v7';

describe('uuidv7', () => {
  it('is an RFC 9562 version 7 UUID that the contracts accept', () => {
    const id = uuidv7();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(z.uuid().safeParse(id).success).toBe(true);
  });

  it('starts with the time in milliseconds, so later ids sort after earlier ones', () => {
    expect(uuidv7(0x0192_3456_789a).slice(0, 13)).toBe('01923456-789a');
    const ids = [1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000].map((ms) => uuidv7(ms));
    expect([...ids].sort()).toEqual(ids);
  });

  it('differs between ids of the same millisecond', () => {
    const ids = new Set(Array.from({ length: 1_000 }, () => uuidv7(1_700_000_000_000)));
    expect(ids.size).toBe(1_000);
  });

  it('stays well-formed and distinct across refills of its pool of random bytes', () => {
    // 1,000 ids take 10,000 random bytes: the 4 kB pool is refilled twice on the way.
    const ids = Array.from({ length: 1_000 }, () => uuidv7(1_700_000_000_000));
    expect(new Set(ids.map((id) => id.slice(14))).size).toBe(1_000);
    for (const id of ids) expect(id).toMatch(/^018bcfe5-6800-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
