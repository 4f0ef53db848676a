import { waitFor, WaitTimeoutError } from './wait-for';

/** A probe that answers from `answers` in turn (an Error is thrown), counting its calls. */
function scripted<T>(...answers: (T | undefined | false | Error)[]): { probe: () => T | undefined | false; calls: () => number } {
  let calls = 0;
  return {
    probe: () => {
      const answer = answers[Math.min(calls, answers.length - 1)];
      calls += 1;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    calls: () => calls,
  };
}

describe('waitFor', () => {
  it('returns the first value that is neither undefined nor false, 0 included', async () => {
    const { probe, calls } = scripted<number>(undefined, false, 0, 7);

    await expect(waitFor(probe, { description: 'a number', intervalMs: 1 })).resolves.toBe(0);
    expect(calls()).toBe(3);
  });

  it('retries a probe that throws until it answers', async () => {
    const { probe, calls } = scripted<string>(new Error('connection refused'), new Error('connection refused'), 'up');

    await expect(waitFor(probe, { description: 'the server', intervalMs: 1 })).resolves.toBe('up');
    expect(calls()).toBe(3);
  });

  it('rejects with WaitTimeoutError quoting the description and the last result', async () => {
    const { probe } = scripted<{ status: string }>(false);

    const waiting = waitFor(probe, { description: 'the order to be CONFIRMED', timeoutMs: 30, intervalMs: 5 });

    await expect(waiting).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(waiting).rejects.toThrow('timed out after 30 ms waiting for the order to be CONFIRMED (last result: false)');
  });

  it('quotes the last error when the probe was still throwing at the deadline', async () => {
    const { probe } = scripted<boolean>(new Error('ECONNREFUSED'));

    await expect(waitFor(probe, { description: 'the app', timeoutMs: 30, intervalMs: 5 })).rejects.toThrow('(last error: Error: ECONNREFUSED)');
  });

  it('does not start a sleep that would end past the deadline', async () => {
    const { probe, calls } = scripted<boolean>(false);

    await expect(waitFor(probe, { description: 'nothing', timeoutMs: 50, intervalMs: 1_000 })).rejects.toBeInstanceOf(WaitTimeoutError);
    expect(calls()).toBe(1);
  });
});
