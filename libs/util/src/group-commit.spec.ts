import { GroupCommit, WriteQueueFullError } from './group-commit';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A writer whose every call (a "transaction") stays open until the test settles it. */
class FakeWriter {
  readonly calls: Array<{ items: string[]; done: Deferred<readonly string[]> }> = [];

  readonly write = (items: readonly string[]): Promise<readonly string[]> => {
    const done = deferred<readonly string[]>();
    this.calls.push({ items: [...items], done });
    return done.promise;
  };

  batches(): string[][] {
    return this.calls.map((call) => call.items);
  }

  /** Commits call `index`: each item's result is its name in upper case. */
  commit(index: number): void {
    this.calls[index].done.resolve(this.calls[index].items.map((item) => item.toUpperCase()));
  }

  fail(index: number, error: unknown): void {
    this.calls[index].done.reject(error);
  }
}

/** Yields to the event loop until `condition` holds (promise callbacks run in between). */
async function until(condition: () => boolean, description: string): Promise<void> {
  for (let turn = 0; turn < 1_000; turn++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`never happened: ${description}`);
}

/** Records how each promise settles, without letting a rejection go unhandled. */
function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

const fatal = new Error('connect ECONNREFUSED');
const isFatal = (error: unknown) => error === fatal;

describe('GroupCommit', () => {
  it('writes a lone item at once, in a batch of its own', async () => {
    const writer = new FakeWriter();
    const commits = new GroupCommit(writer.write, { maxBatch: 10, maxQueued: 10 });
    const a = track(commits.submit('a'));
    // No timer, no waiting for company: the write has started before submit returns.
    expect(writer.batches()).toEqual([['a']]);
    expect(a.settled).toBe(false);
    writer.commit(0);
    await until(() => a.settled, 'a to settle');
    expect(a).toEqual({ settled: true, value: 'A' });
  });

  it('with maxInFlight 2, a second item starts its own transaction, and later ones queue for the first writer free', async () => {
    const writer = new FakeWriter();
    const commits = new GroupCommit(writer.write, { maxBatch: 10, maxQueued: 10, maxInFlight: 2 });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((item) => track(commits.submit(item)));
    expect(writer.batches()).toEqual([['a'], ['b']]);
    expect(commits.queued).toBe(2);
    writer.commit(1);
    await until(() => writer.calls.length === 3, 'the freed writer to take the queue');
    expect(writer.batches()[2]).toEqual(['c', 'd']);
    expect(b).toEqual({ settled: true, value: 'B' });
    expect(a.settled || c.settled || d.settled).toBe(false);
    writer.commit(0);
    writer.commit(2);
    await until(() => a.settled && c.settled && d.settled, 'the rest to settle');
    expect([a.value, c.value, d.value]).toEqual(['A', 'C', 'D']);
  });

  it('refuses a maxInFlight that is not a positive integer', () => {
    expect(() => new GroupCommit(new FakeWriter().write, { maxBatch: 1, maxQueued: 1, maxInFlight: 0 })).toThrow(RangeError);
  });

  it('queues items while a batch is in flight and writes them together as the next batch, each settled after its own commit', async () => {
    const writer = new FakeWriter();
    const commits = new GroupCommit(writer.write, { maxBatch: 10, maxQueued: 10 });
    const first = track(commits.submit('a'));
    const queued = ['b', 'c', 'd'].map((item) => track(commits.submit(item)));
    expect(writer.batches()).toEqual([['a']]);
    expect(commits.queued).toBe(3);

    writer.commit(0);
    await until(() => writer.calls.length === 2, 'the second batch');
    expect(first).toEqual({ settled: true, value: 'A' });
    expect(writer.batches()).toEqual([['a'], ['b', 'c', 'd']]);
    expect(queued.some((item) => item.settled)).toBe(false);

    writer.commit(1);
    await until(() => queued.every((item) => item.settled), 'the queued items to settle');
    expect(queued.map((item) => item.value)).toEqual(['B', 'C', 'D']);
  });

  it('caps batches at maxBatch, keeping arrival order across batches', async () => {
    const writer = new FakeWriter();
    const commits = new GroupCommit(writer.write, { maxBatch: 2, maxQueued: 10 });
    const items = ['a', 'b', 'c', 'd', 'e'].map((item) => track(commits.submit(item)));
    for (let index = 0; index < 3; index++) {
      await until(() => writer.calls.length === index + 1, `batch ${index + 1}`);
      writer.commit(index);
    }
    await until(() => items.every((item) => item.settled), 'every item to settle');
    expect(writer.batches()).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    expect(items.map((item) => item.value)).toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it('refuses at once, with WriteQueueFullError, an item beyond maxQueued waiting ones', async () => {
    const writer = new FakeWriter();
    const commits = new GroupCommit(writer.write, { maxBatch: 10, maxQueued: 2 });
    const inFlight = track(commits.submit('a'));
    const waiting = [track(commits.submit('b')), track(commits.submit('c'))];
    const refused = track(commits.submit('d'));
    await until(() => refused.settled, 'the refusal');
    expect(refused.error).toBeInstanceOf(WriteQueueFullError);
    expect(inFlight.settled || waiting.some((item) => item.settled)).toBe(false);

    // Room again once the queue has been taken as the next batch.
    writer.commit(0);
    await until(() => writer.calls.length === 2, 'the second batch');
    const later = track(commits.submit('e'));
    writer.commit(1);
    await until(() => writer.calls.length === 3, 'the third batch');
    writer.commit(2);
    await until(() => later.settled, 'e to settle');
    expect(writer.batches()).toEqual([['a'], ['b', 'c'], ['e']]);
    expect(later.value).toBe('E');
  });

  it('retries a failed batch one item at a time, so only the culprit fails', async () => {
    const writer = new FakeWriter();
    const commits = new GroupCommit(writer.write, { maxBatch: 10, maxQueued: 10, isFatal });
    const first = track(commits.submit('a'));
    const batch = ['b', 'bad', 'c'].map((item) => track(commits.submit(item)));
    writer.commit(0);
    await until(() => writer.calls.length === 2, 'the second batch');
    const culprit = new Error('invalid input');
    writer.fail(1, culprit);

    await until(() => writer.calls.length === 3, 'the retry of b');
    writer.commit(2);
    await until(() => writer.calls.length === 4, 'the retry of bad');
    writer.fail(3, culprit);
    await until(() => writer.calls.length === 5, 'the retry of c');
    writer.commit(4);
    await until(() => batch.every((item) => item.settled), 'the batch to settle');

    expect(first.value).toBe('A');
    expect(writer.batches()).toEqual([['a'], ['b', 'bad', 'c'], ['b'], ['bad'], ['c']]);
    expect(batch.map((item) => item.value)).toEqual(['B', undefined, 'C']);
    expect(batch[1].error).toBe(culprit);
  });

  it('does not retry a lone item that failed', async () => {
    const writer = new FakeWriter();
    const commits = new GroupCommit(writer.write, { maxBatch: 10, maxQueued: 10 });
    const lone = track(commits.submit('a'));
    const culprit = new Error('invalid input');
    writer.fail(0, culprit);
    await until(() => lone.settled, 'a to settle');
    expect(lone.error).toBe(culprit);
    expect(writer.calls).toHaveLength(1);

    // The queue works on after a failure.
    const next = track(commits.submit('b'));
    writer.commit(1);
    await until(() => next.settled, 'b to settle');
    expect(next.value).toBe('B');
  });

  it('fails a whole batch at once on a fatal error (the database is down): no retry per item', async () => {
    const writer = new FakeWriter();
    const commits = new GroupCommit(writer.write, { maxBatch: 10, maxQueued: 10, isFatal });
    track(commits.submit('a'));
    const batch = ['b', 'c', 'd'].map((item) => track(commits.submit(item)));
    writer.commit(0);
    await until(() => writer.calls.length === 2, 'the second batch');
    writer.fail(1, fatal);
    await until(() => batch.every((item) => item.settled), 'the batch to settle');
    expect(batch.map((item) => item.error)).toEqual([fatal, fatal, fatal]);
    expect(writer.calls).toHaveLength(2);
  });

  it('stops retrying one by one at the first fatal error, failing the rest of the batch with it', async () => {
    const writer = new FakeWriter();
    const commits = new GroupCommit(writer.write, { maxBatch: 10, maxQueued: 10, isFatal });
    track(commits.submit('a'));
    const batch = ['b', 'c', 'd'].map((item) => track(commits.submit(item)));
    writer.commit(0);
    await until(() => writer.calls.length === 2, 'the second batch');
    writer.fail(1, new Error('invalid input'));
    await until(() => writer.calls.length === 3, 'the retry of b');
    writer.commit(2);
    await until(() => writer.calls.length === 4, 'the retry of c');
    writer.fail(3, fatal);
    await until(() => batch.every((item) => item.settled), 'the batch to settle');
    expect(batch.map((item) => item.value ?? item.error)).toEqual(['B', fatal, fatal]);
    expect(writer.calls).toHaveLength(4);
  });

  it('fails the batch when the writer answers for the wrong number of items', async () => {
    const commits = new GroupCommit(async (items: readonly string[]) => items.slice(1), { maxBatch: 10, maxQueued: 10 });
    await expect(commits.submit('a')).rejects.toThrow(/returned 0 results/);
  });

  it('refuses settings that cannot work', () => {
    const write = async (items: readonly string[]) => items;
    expect(() => new GroupCommit(write, { maxBatch: 0, maxQueued: 10 })).toThrow(RangeError);
    expect(() => new GroupCommit(write, { maxBatch: 1, maxQueued: 0 })).toThrow(RangeError);
  });
});
