import { compareSequences, parseProducerSequence, producerSequence } from './producer-sequence';

describe('producerSequence', () => {
  it('orders by commit LSN first, then by index inside the transaction, as strings', () => {
    const ordered = [producerSequence(0x16b3740n, 0), producerSequence(0x16b3740n, 1), producerSequence(0x16b3740n, 0x10), producerSequence(0x16b3741n, 0), producerSequence(0x1_0000_0000n, 0)];
    const shuffled = [ordered[3], ordered[0], ordered[4], ordered[2], ordered[1]];
    expect([...shuffled].sort(compareSequences)).toEqual(ordered);
    expect([...shuffled].sort()).toEqual(ordered);
  });

  it('is the same for the same event, so a republished copy compares equal', () => {
    expect(compareSequences(producerSequence(42n, 3), producerSequence(42n, 3))).toBe(0);
    expect(producerSequence(0x16b3740n, 2)).toBe('00000000016b3740-00000002');
  });

  it('covers the whole LSN range and refuses what is outside it', () => {
    expect(producerSequence((1n << 64n) - 1n, 0xffffffff)).toBe('ffffffffffffffff-ffffffff');
    expect(() => producerSequence(-1n, 0)).toThrow(RangeError);
    expect(() => producerSequence(1n << 64n, 0)).toThrow(RangeError);
    expect(() => producerSequence(1n, -1)).toThrow(RangeError);
    expect(() => producerSequence(1n, 1.5)).toThrow(RangeError);
  });

  it('parses only what it writes', () => {
    expect(parseProducerSequence('00000000016b3740-00000002')).toBe('00000000016b3740-00000002');
    for (const bad of [undefined, '', '16b3740-2', '00000000016B3740-00000002', '00000000016b3740-00000002 ', '00000000016b3740_00000002']) {
      expect(parseProducerSequence(bad)).toBeUndefined();
    }
  });
});
