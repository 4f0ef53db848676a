import { headersOut } from './platformatic-headers';

const asText = (headers: Map<Buffer, Buffer> | undefined) => [...(headers ?? [])].map(([name, value]) => [name.toString(), value.toString()]);

describe('headersOut', () => {
  it('gives every header as Buffers, strings and Buffers alike, skipping undefined ones', () => {
    const headers = headersOut({ 'x-event-type': 'stock.reserved.v1', traceparent: Buffer.from('00-abc-def-01'), absent: undefined });
    expect(asText(headers)).toEqual([
      ['x-event-type', 'stock.reserved.v1'],
      ['traceparent', '00-abc-def-01'],
    ]);
  });

  it('makes each name once: records with the same header share its name', () => {
    const [first] = headersOut({ 'x-correlation-id': 'a' })!.keys();
    const [second] = headersOut({ 'x-correlation-id': 'b' })!.keys();
    expect(second).toBe(first);
  });

  it('sends each value of a header with several values, under a key of its own', () => {
    const headers = headersOut({ 'x-relay-producer': ['one', Buffer.from('two')], after: 'x' });
    expect(asText(headers)).toEqual([
      ['x-relay-producer', 'one'],
      ['x-relay-producer', 'two'],
      ['after', 'x'],
    ]);
  });

  it('has nothing to send without headers', () => {
    expect(headersOut(undefined)).toBeUndefined();
  });
});
