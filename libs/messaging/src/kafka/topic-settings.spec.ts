import { creationConfigOf, minInsyncReplicasFor } from './topic-settings';

describe('topic creation settings', () => {
  it.each([
    [1, 1],
    [2, 1],
    [3, 2],
    [5, 2],
  ])('replication factor %i: min.insync.replicas %i', (replicationFactor, minIsr) => {
    expect(minInsyncReplicasFor(replicationFactor)).toBe(minIsr);
  });

  it('sets min.insync.replicas on a replicated topic only, and keeps a dead-letter topic forever', () => {
    expect(creationConfigOf({ topic: 'relay.orders.v1', numPartitions: 6, replicationFactor: 1 })).toEqual([]);
    expect(creationConfigOf({ topic: 'relay.orders.v1', numPartitions: 6, replicationFactor: 3 })).toEqual([{ name: 'min.insync.replicas', value: '2' }]);
    expect(creationConfigOf({ topic: 'relay.orders.v1.dlq.inventory', numPartitions: 6, replicationFactor: 3 })).toEqual([
      { name: 'retention.ms', value: '-1' },
      { name: 'min.insync.replicas', value: '2' },
    ]);
  });
});
