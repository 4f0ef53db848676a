import { backoffDelayMs, defaultFailurePolicy, isRetriable, NonRetriableError } from './failure-policy';

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
});
