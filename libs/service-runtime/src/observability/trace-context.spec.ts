import { childTraceparent, traceIdOf } from './trace-context';

describe('trace context', () => {
  const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('continues the caller’s trace with a new span', () => {
    const child = childTraceparent(parent);
    expect(traceIdOf(child)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(child).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(child).not.toBe(parent);
  });

  it('never hands out the same ids twice, across refills of its random pool', () => {
    const fresh = Array.from({ length: 1_000 }, () => childTraceparent(undefined));
    expect(fresh.every((traceparent) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/.test(traceparent))).toBe(true);
    expect(new Set(fresh.map((traceparent) => traceIdOf(traceparent))).size).toBe(1_000);
    expect(new Set(fresh.map((traceparent) => traceparent.slice(36, 52))).size).toBe(1_000);
  });

  it.each([undefined, '', 'garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'])('starts a new trace for %p', (header) => {
    const fresh = childTraceparent(header);
    expect(fresh).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceIdOf(fresh)).not.toBe('00000000000000000000000000000000');
  });
});
