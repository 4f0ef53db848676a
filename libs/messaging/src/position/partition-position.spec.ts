import { admit, EMPTY_POSITION, PartitionPosition } from './partition-position';
import { producerSequence } from './producer-sequence';

const seq = (lsn: number, index = 0) => producerSequence(BigInt(lsn), index);
const at = (offset: number, sequence?: ReturnType<typeof seq>, producer = 'orders') => ({ offset: BigInt(offset), ...(sequence ? { producer, sequence } : {}) });

describe('admit', () => {
  it('applies every message of a partition the group never saw, and stores the next offset and highest sequence', () => {
    const { admissions, position } = admit(EMPTY_POSITION, [at(0, seq(100)), at(1, seq(100, 1)), at(2, seq(250))]);
    expect(admissions).toEqual(['apply', 'apply', 'apply']);
    expect(position.nextOffset).toBe(3n);
    expect(position.sequences.get('orders')).toBe(seq(250));
  });

  it('skips offsets below the stored position: a redelivery after a crash before the offset commit', () => {
    const stored: PartitionPosition = { nextOffset: 5n, sequences: new Map([['orders', seq(300)]]) };
    const { admissions, position } = admit(stored, [at(3, seq(200)), at(4, seq(300)), at(5, seq(400)), at(6, seq(500))]);
    expect(admissions).toEqual(['redelivered', 'redelivered', 'apply', 'apply']);
    expect(position.nextOffset).toBe(7n);
    expect(position.sequences.get('orders')).toBe(seq(500));
  });

  it('skips a copy republished at a new offset with a sequence already applied, and still moves past it', () => {
    const stored: PartitionPosition = { nextOffset: 10n, sequences: new Map([['orders', seq(300, 1)]]) };
    const { admissions, position } = admit(stored, [at(10, seq(300, 0)), at(11, seq(300, 1)), at(12, seq(300, 2)), at(13, seq(300, 2))]);
    expect(admissions).toEqual(['republished', 'republished', 'apply', 'republished']);
    expect(position.nextOffset).toBe(14n);
    expect(position.sequences.get('orders')).toBe(seq(300, 2));
  });

  it('keeps one high-water mark per producer', () => {
    const stored: PartitionPosition = { nextOffset: 0n, sequences: new Map([['orders', seq(900)]]) };
    const { admissions, position } = admit(stored, [at(0, seq(100), 'inventory'), at(1, seq(800), 'orders'), at(2, seq(100), 'inventory')]);
    expect(admissions).toEqual(['apply', 'republished', 'republished']);
    expect(position.sequences).toEqual(new Map([['orders', seq(900)], ['inventory', seq(100)]]));
  });

  it('admits a message without a sequence on its offset alone', () => {
    const stored: PartitionPosition = { nextOffset: 2n, sequences: new Map([['orders', seq(900)]]) };
    expect(admit(stored, [at(1), at(2), at(3)]).admissions).toEqual(['redelivered', 'apply', 'apply']);
  });

  it('never changes the position it was given: a transaction that rolls back retries from the same one', () => {
    const sequences = new Map([['orders', seq(1)]]);
    const stored: PartitionPosition = { nextOffset: 0n, sequences };
    admit(stored, [at(0, seq(2)), at(1, seq(3))]);
    expect(stored.nextOffset).toBe(0n);
    expect(sequences).toEqual(new Map([['orders', seq(1)]]));
  });

  it('returns the position unchanged when every message was redelivered', () => {
    const stored: PartitionPosition = { nextOffset: 8n, sequences: new Map([['orders', seq(5)]]) };
    const { admissions, position } = admit(stored, [at(6, seq(4)), at(7, seq(5))]);
    expect(admissions).toEqual(['redelivered', 'redelivered']);
    expect(position).toEqual(stored);
  });
});
