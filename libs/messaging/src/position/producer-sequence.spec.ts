import { compareSequences, parseProducerSequence, producerSequence } from './producer-sequence';

describe('producerSequence', () => {
  it('orders by the major part first, then by the minor part, as strings', () => {
    const ordered = [
      producerSequence(0x16b3740n, 0),
      producerSequence(0x16b3740n, 1),
      producerSequence(0x16b3740n, 0x10),
      producerSequence(0x16b3740n, 0x1_0000_0000n),
      producerSequence(0x16b3741n, 0),
      producerSequence(0x1_0000_0000n, 0),
    ];
    const shuffled = [ordered[3], ordered[0], ordered[5], ordered[4], ordered[2], ordered[1]];
    expect([...shuffled].sort(compareSequences)).toEqual(ordered);
    expect([...shuffled].sort()).toEqual(ordered);
  });

  it('is the same for the same event, so a republished copy compares equal', () => {
    expect(compareSequences(producerSequence(42n, 3), producerSequence(42n, 3n))).toBe(0);
    expect(producerSequence(0x16b3740n, 2)).toBe('00000000016b3740-0000000000000002');
  });

  it('covers both parts\' whole 64-bit range and refuses what is outside it', () => {
    const max = (1n << 64n) - 1n;
    expect(producerSequence(max, max)).toBe('ffffffffffffffff-ffffffffffffffff');
    expect(producerSequence(0n, Number.MAX_SAFE_INTEGER)).toBe('0000000000000000-001fffffffffffff');
    expect(() => producerSequence(-1n, 0)).toThrow(RangeError);
    expect(() => producerSequence(1n << 64n, 0)).toThrow(RangeError);
    expect(() => producerSequence(1n, -1)).toThrow(RangeError);
    expect(() => producerSequence(1n, -1n)).toThrow(RangeError);
    expect(() => producerSequence(1n, 1n << 64n)).toThrow(RangeError);
    expect(() => producerSequence(1n, 1.5)).toThrow(RangeError);
    // A number past 2^53 may already have lost its low digits: pass a bigint.
    expect(() => producerSequence(1n, 2 ** 53)).toThrow(RangeError);
  });

  it('parses only what it writes, and widens the first form (an 8-digit minor part) to it', () => {
    expect(parseProducerSequence('00000000016b3740-0000000000000002')).toBe('00000000016b3740-0000000000000002');
    expect(parseProducerSequence('00000000016b3740-00000002')).toBe(producerSequence(0x16b3740n, 2));
    for (const bad of [
      undefined,
      '',
      '16b3740-2',
      '00000000016B3740-0000000000000002',
      '00000000016b3740-0000000000000002 ',
      '00000000016b3740_0000000000000002',
    ]) {
      expect(parseProducerSequence(bad)).toBeUndefined();
    }
  });
});
