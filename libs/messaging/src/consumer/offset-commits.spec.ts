import { CoalescedOffsetCommits, SendOffsetCommit } from './offset-commits';

/** A broker that answers each OffsetCommit when the test says so. */
function controlledBroker() {
  const requests: Array<{ offsets: Parameters<SendOffsetCommit>[0]; answer: (error?: Error) => void }> = [];
  const send: SendOffsetCommit = (offsets) =>
    new Promise<void>((resolve, reject) => requests.push({ offsets, answer: (error) => (error ? reject(error) : resolve()) }));
  return { requests, send };
}

const settledState = async (promise: Promise<unknown>) => {
  let state = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return state;
};

describe('CoalescedOffsetCommits', () => {
  it('sends the first commit at once and the ones asked for meanwhile together, one request in flight', async () => {
    const commits = new CoalescedOffsetCommits();
    const broker = controlledBroker();
    const first = commits.commit({ topic: 't', partition: 0, offset: '10' }, broker.send);
    const second = commits.commit({ topic: 't', partition: 1, offset: '5' }, broker.send);
    const third = commits.commit({ topic: 'u', partition: 0, offset: '7' }, broker.send);
    expect(broker.requests).toHaveLength(1);
    expect(broker.requests[0].offsets).toEqual([{ topic: 't', partition: 0, offset: '10' }]);
    expect(await settledState(second)).toBe('pending');

    broker.requests[0].answer();
    await first;
    expect(broker.requests).toHaveLength(2);
    expect(broker.requests[1].offsets).toEqual([
      { topic: 't', partition: 1, offset: '5' },
      { topic: 'u', partition: 0, offset: '7' },
    ]);
    expect(await settledState(second)).toBe('pending');
    broker.requests[1].answer();
    await Promise.all([second, third]);
    expect(broker.requests).toHaveLength(2);
  });

  it('keeps the highest offset of a partition and settles every caller that asked for it', async () => {
    const commits = new CoalescedOffsetCommits();
    const broker = controlledBroker();
    const blocker = commits.commit({ topic: 't', partition: 9, offset: '1' }, broker.send);
    const later = commits.commit({ topic: 't', partition: 0, offset: '20' }, broker.send);
    const earlier = commits.commit({ topic: 't', partition: 0, offset: '12' }, broker.send);
    broker.requests[0].answer();
    await blocker;
    expect(broker.requests[1].offsets).toEqual([{ topic: 't', partition: 0, offset: '20' }]);
    broker.requests[1].answer();
    await expect(Promise.all([later, earlier])).resolves.toEqual([undefined, undefined]);
  });

  it('fails the callers of a failed request with its error and goes on with the next', async () => {
    const commits = new CoalescedOffsetCommits();
    const broker = controlledBroker();
    const failing = commits.commit({ topic: 't', partition: 0, offset: '3' }, broker.send);
    const queued = commits.commit({ topic: 't', partition: 1, offset: '4' }, broker.send);
    broker.requests[0].answer(new Error('The group is rebalancing'));
    await expect(failing).rejects.toThrow('The group is rebalancing');
    expect(broker.requests).toHaveLength(2);
    broker.requests[1].answer();
    await expect(queued).resolves.toBeUndefined();
  });
});
