import { decodePgoutput, formatLsn, parseLsn } from './pgoutput.decoder';

const u64 = (value: bigint): Buffer => {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(value);
  return buffer;
};
const u32 = (value: number): Buffer => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
};
const tag = (letter: string): Buffer => Buffer.from(letter, 'ascii');
const cstring = (text: string): Buffer => Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);

describe('decodePgoutput (protocol 1)', () => {
  it('decodes a Begin: final (commit) LSN, commit time, xid', () => {
    const row = Buffer.concat([tag('B'), u64(0x1_b81468n), u64(853_105_437_000_000n), u32(755)]);
    expect(decodePgoutput(row)).toEqual({ type: 'begin', finalLsn: 0x1_b81468n, commitTimestamp: 853_105_437_000_000n, xid: 755 });
  });

  it('decodes a Commit: flags, commit LSN, end LSN, commit time', () => {
    const row = Buffer.concat([tag('C'), Buffer.from([0]), u64(0x1_b81468n), u64(0x1_b81498n), u64(42n)]);
    expect(decodePgoutput(row)).toEqual({ type: 'commit', commitLsn: 0x1_b81468n, endLsn: 0x1_b81498n, commitTimestamp: 42n });
  });

  it('decodes a transactional Message: prefix and content, content as a view of the row', () => {
    const content = Buffer.from('{"topic":"t"}\n{"eventId":"é"}', 'utf8');
    const row = Buffer.concat([tag('M'), Buffer.from([1]), u64(0x2_0000_0010n), cstring('relay.outbox.orders'), u32(content.length), content]);
    const decoded = decodePgoutput(row);
    expect(decoded).toEqual({ type: 'message', transactional: true, lsn: 0x2_0000_0010n, prefix: 'relay.outbox.orders', content });
    if (decoded.type !== 'message') throw new Error('not a message');
    expect(decoded.content.buffer).toBe(row.buffer);
  });

  it('decodes a non-transactional, empty Message', () => {
    const row = Buffer.concat([tag('M'), Buffer.from([0]), u64(7n), cstring('other'), u32(0)]);
    expect(decodePgoutput(row)).toMatchObject({ type: 'message', transactional: false, prefix: 'other', content: Buffer.alloc(0) });
  });

  it('decodes a Message exactly as PostgreSQL 18 sent it', () => {
    // pg_logical_emit_message(true, 'relay.outbox.x', 'a'), read through pg_logical_slot_peek_binary_changes.
    const row = Buffer.from('4d010000000001b813d872656c61792e6f7574626f782e78000000000161', 'hex');
    expect(decodePgoutput(row)).toEqual({ type: 'message', transactional: true, lsn: 0x1b813d8n, prefix: 'relay.outbox.x', content: Buffer.from('a') });
  });

  it('returns other message types by tag, without decoding them', () => {
    expect(decodePgoutput(Buffer.concat([tag('R'), u32(16384)]))).toEqual({ type: 'other', tag: 'R' });
  });

  it.each([
    ['an empty row', Buffer.alloc(0), /empty/],
    ['a short Begin', Buffer.concat([tag('B'), u64(1n)]), /Begin of 9 bytes, expected 21/],
    ['a Commit with trailing bytes', Buffer.concat([tag('C'), Buffer.alloc(25), Buffer.from([1])]), /Commit of 27 bytes, expected 26/],
    ['a Message whose prefix never ends', Buffer.concat([tag('M'), Buffer.from([1]), u64(1n), Buffer.from('abcdefgh')]), /not terminated/],
    ['a Message shorter than its length says', Buffer.concat([tag('M'), Buffer.from([1]), u64(1n), cstring('p'), u32(5), Buffer.from('abc')]), /Message of \d+ bytes, expected/],
  ])('rejects %s', (_name, row, error) => {
    expect(() => decodePgoutput(row)).toThrow(error);
  });
});

describe('LSN text form', () => {
  it.each([
    ['0/0', 0n],
    ['0/1B81468', 0x1b81468n],
    ['16/B374D848', 0x16_b374d848n],
    ['FFFFFFFF/FFFFFFFF', 0xffffffff_ffffffffn],
  ])('%s round-trips', (text, value) => {
    expect(parseLsn(text)).toBe(value);
    expect(formatLsn(value)).toBe(text);
  });

  it('rejects what is not an LSN', () => {
    expect(() => parseLsn('12345')).toThrow('not an LSN');
  });
});
