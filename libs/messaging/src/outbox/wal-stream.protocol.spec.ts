import { parseReplicationMessage, postgresNow, standbyStatusUpdate } from './wal-stream.protocol';

describe('streaming replication framing', () => {
  it('writes a Standby Status Update: r, written, flushed, applied, the time since 2000-01-01 in µs, the reply flag', () => {
    const nowMs = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const bytes = standbyStatusUpdate({ written: 0x16_b374d848n, flushed: 0x16_b374d800n, applied: 0x15_00000001n, replyRequested: true, nowMs });
    expect(bytes.toString('hex')).toBe(
      [
        '72', // 'r'
        '00000016b374d848',
        '00000016b374d800',
        '0000001500000001',
        postgresNow(nowMs).toString(16).padStart(16, '0'),
        '01',
      ].join(''),
    );
    expect(bytes).toHaveLength(34);
    // 2026-01-02T03:04:05.678Z is 820,638,245.678 s after 2000-01-01T00:00:00Z.
    expect(postgresNow(nowMs)).toBe(820_638_245_678_000n);
    expect(standbyStatusUpdate({ written: 1n, flushed: 1n, applied: 1n, replyRequested: false, nowMs })[33]).toBe(0);
  });

  it('parses a primary keepalive, with and without a reply request', () => {
    const keepalive = (reply: number) => Buffer.concat([Buffer.from('k'), Buffer.from('00000016b374d848', 'hex'), Buffer.from('0000000000000010', 'hex'), Buffer.from([reply])]);
    expect(parseReplicationMessage(keepalive(1))).toEqual({ type: 'keepalive', walEnd: 0x16_b374d848n, sendTime: 16n, replyRequested: true });
    expect(parseReplicationMessage(keepalive(0))).toMatchObject({ replyRequested: false });
    expect(() => parseReplicationMessage(keepalive(0).subarray(0, 17))).toThrow('primary keepalive of 17 bytes, expected 18');
  });

  it('parses XLogData: its positions, and the pgoutput message after the 25-byte header as a view', () => {
    const payload = Buffer.from('B-the-pgoutput-message');
    const frame = Buffer.concat([Buffer.from('w'), Buffer.from('0000000100000002', 'hex'), Buffer.from('0000000100000003', 'hex'), Buffer.from('0000000000000004', 'hex'), payload]);
    const message = parseReplicationMessage(frame);
    expect(message).toEqual({ type: 'xlogdata', walStart: 0x1_00000002n, walEnd: 0x1_00000003n, sendTime: 4n, data: payload });
    expect(message.type === 'xlogdata' && message.data.buffer).toBe(frame.buffer);
    expect(() => parseReplicationMessage(frame.subarray(0, 24))).toThrow('truncated XLogData (24 bytes)');
  });

  it('refuses an empty or unknown message', () => {
    expect(() => parseReplicationMessage(Buffer.alloc(0))).toThrow('empty replication CopyData message');
    expect(() => parseReplicationMessage(Buffer.from('z'))).toThrow("unknown replication CopyData message 'z'");
  });
});
