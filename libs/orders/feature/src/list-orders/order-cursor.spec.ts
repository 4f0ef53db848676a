import { decodeCursor, encodeCursor } from './order-cursor';

describe('order cursor', () => {
  it('round-trips', () => {
    const cursor = { createdAt: new Date('2026-11-27T10:00:00.123Z'), id: '0b7d3f5e-4a53-4c4e-9d4f-3f8f0c6f2f10' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it.each(['', 'nonsense', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('["not a date","x"]').toString('base64url')])(
    'rejects %p',
    (value) => {
      expect(decodeCursor(value)).toBeUndefined();
    },
  );
});
