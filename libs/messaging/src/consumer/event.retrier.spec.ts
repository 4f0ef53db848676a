import { EventRetrier } from './event.retrier';
import { NonRetriableError } from './failure-policy';

const policy = { maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 1_000 };
const subject = 'order.placed.v1 e-1 at relay.orders.v1[2]@10';
const outage = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/** A retrier with a recording logger, no jitter (the top of each backoff step) and waits that only record. */
function harness(options: { stopAfterWaits?: number } = {}) {
  const logs: { level: 'warn' | 'error'; message: string }[] = [];
  const logger = { warn: (message: string) => void logs.push({ level: 'warn', message }), error: (message: string) => void logs.push({ level: 'error', message }) };
  const waits: number[] = [];
  let retries = 0;
  const hooks = {
    onRetry: () => void retries++,
    wait: async (delayMs: number) => {
      waits.push(delayMs);
      return options.stopAfterWaits === undefined || waits.length < options.stopAfterWaits;
    },
  };
  return { retrier: new EventRetrier(policy, logger, () => 1), hooks, logs, waits, retries: () => retries };
}

/** A try that fails with the given errors in turn, then returns 'applied'; it records the attempt numbers it got. */
function failingWith(...errors: unknown[]) {
  const attempts: number[] = [];
  const tryOnce = async (attempt: number) => {
    attempts.push(attempt);
    if (attempts.length <= errors.length) throw errors[attempts.length - 1];
    return 'applied' as const;
  };
  return { tryOnce, attempts };
}

describe('EventRetrier', () => {
  it('returns the first success without waiting', async () => {
    const { retrier, hooks, logs, waits } = harness();
    await expect(retrier.run(subject, failingWith().tryOnce, hooks)).resolves.toEqual({ outcome: 'succeeded', value: 'applied' });
    expect(logs).toEqual([]);
    expect(waits).toEqual([]);
  });

  it('retries a failure in place with exponential backoff, counting and logging each retry', async () => {
    const { retrier, hooks, logs, waits, retries } = harness();
    const { tryOnce, attempts } = failingWith(new Error('deadlock detected'), new Error('deadlock detected'));
    await expect(retrier.run(subject, tryOnce, hooks)).resolves.toEqual({ outcome: 'succeeded', value: 'applied' });
    expect(attempts).toEqual([1, 2, 3]);
    expect(waits).toEqual([100, 200]);
    expect(retries()).toBe(2);
    expect(logs).toEqual([
      { level: 'warn', message: `${subject} failed (attempt 1/3), retrying in 100 ms: deadlock detected` },
      { level: 'warn', message: `${subject} failed (attempt 2/3), retrying in 200 ms: deadlock detected` },
    ]);
  });

  it('gives up after maxAttempts counted failures, with what the dead letter needs', async () => {
    const { retrier, hooks, logs, retries } = harness();
    const before = new Date();
    const result = await retrier.run(subject, failingWith(new Error('f1'), new Error('f2'), new TypeError('f3')).tryOnce, hooks);
    expect(result).toMatchObject({ outcome: 'exhausted', errorClass: 'TypeError', reason: 'f3', attempts: 3 });
    expect(result.outcome === 'exhausted' && result.firstFailureAt.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(retries()).toBe(2);
    expect(logs.at(-1)).toEqual({ level: 'error', message: `${subject} failed 3 time(s), parking it: f3` });
  });

  it('gives up at once on a NonRetriableError, and names a thrown non-error by its type', async () => {
    const { retrier, hooks, waits } = harness();
    expect(await retrier.run(subject, failingWith(new NonRetriableError('no such order')).tryOnce, hooks)).toMatchObject({
      outcome: 'exhausted',
      errorClass: 'NonRetriableError',
      attempts: 1,
    });
    expect(waits).toEqual([]);
    const stringy = await new EventRetrier({ ...policy, maxAttempts: 1 }, { warn: () => undefined, error: () => undefined }).run(subject, failingWith('boom').tryOnce, hooks);
    expect(stringy).toMatchObject({ outcome: 'exhausted', errorClass: 'string', reason: 'boom', attempts: 1 });
  });

  it('does not count database outages toward maxAttempts', async () => {
    const { retrier, hooks, logs } = harness();
    const { tryOnce, attempts } = failingWith(outage(), outage(), outage(), outage(), new Error('f1'));
    await expect(retrier.run(subject, tryOnce, hooks)).resolves.toEqual({ outcome: 'succeeded', value: 'applied' });
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6]);
    expect(logs[0].message).toBe(`${subject} failed (try 1, database unavailable: not counted toward 3 attempts), retrying in 100 ms: connect ECONNREFUSED 127.0.0.1:5432`);
    expect(logs[4].message).toBe(`${subject} failed (attempt 1/3), retrying in 1000 ms: f1`);
  });

  it('stops trying when the consumer stops during a wait', async () => {
    const { retrier, hooks } = harness({ stopAfterWaits: 1 });
    const { tryOnce, attempts } = failingWith(new Error('f1'), new Error('f2'));
    await expect(retrier.run(subject, tryOnce, hooks)).resolves.toEqual({ outcome: 'stopped' });
    expect(attempts).toEqual([1]);
  });
});
