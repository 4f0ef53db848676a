import { backoffDelayMs, countsAsAttempt, defaultFailurePolicy, isRetriable, NonRetriableError } from './failure-policy';

describe('failure policy', () => {
  it('backs off exponentially up to the cap, with jitter in the upper half', () => {
    const policy = { maxAttempts: 10, initialBackoffMs: 100, maxBackoffMs: 1_000 };
    expect(backoffDelayMs(policy, 1, () => 0)).toBe(50);
    expect(backoffDelayMs(policy, 1, () => 1)).toBe(100);
    expect(backoffDelayMs(policy, 3, () => 1)).toBe(400);
    expect(backoffDelayMs(policy, 8, () => 1)).toBe(1_000);
    expect(backoffDelayMs(policy, 8, () => 0)).toBe(500);
  });

  it('never retries a NonRetriableError, retries anything else', () => {
    expect(isRetriable(new NonRetriableError('no such order'))).toBe(false);
    expect(isRetriable(new Error('connection reset'))).toBe(true);
    expect(defaultFailurePolicy.maxAttempts).toBeGreaterThan(1);
  });

  it('does not count a database outage as one of the message\'s attempts', () => {
    expect(countsAsAttempt(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(countsAsAttempt(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(false);
    expect(countsAsAttempt(new Error('stock level would go negative'))).toBe(true);
    expect(countsAsAttempt(new NonRetriableError('no such order'))).toBe(true);
  });
});
