import { integrationEnv, openTestDataSource, uniqueName, waitFor } from '@relay/testing';
import { CreateConsumerPositions1730000000002 } from '../migrations/1730000000002-create-consumer-positions';
import { admit } from './partition-position';
import { lockPartitionPosition, PositionKey, readPartitionPosition, savePartitionPosition } from './partition-position.store';
import { producerSequence } from './producer-sequence';

jest.setTimeout(60_000);

describe('partition positions stored with the effects, on real PostgreSQL', () => {
  const env = integrationEnv();
  let dataSource: Awaited<ReturnType<typeof openTestDataSource>>;
  const key: PositionKey = { consumerGroup: 'inventory', topic: 'relay.orders.v1', partition: 3 };

  beforeAll(async () => {
    dataSource = await openTestDataSource(env.databaseUrl, uniqueName('it_positions'), { entities: [], migrations: [CreateConsumerPositions1730000000002] });
    await dataSource.query('CREATE TABLE effects (offset_applied bigint NOT NULL)');
  });

  afterAll(async () => {
    await dataSource?.drop();
  });

  /** One batch as a consumer applies it: lock the position, admit, write the effects, store the position. */
  async function applyBatch(offsets: number[], sequences: number[]): Promise<string[]> {
    return dataSource.transaction(async (manager) => {
      const position = await lockPartitionPosition(manager, key);
      const messages = offsets.map((offset, i) => ({ offset: BigInt(offset), producer: 'orders', sequence: producerSequence(BigInt(sequences[i]), 0) }));
      const { admissions, position: next } = admit(position, messages);
      const applied = messages.filter((_, i) => admissions[i] === 'apply').map((message) => message.offset.toString());
      if (applied.length > 0) await manager.query('INSERT INTO effects SELECT unnest($1::bigint[])', [applied]);
      await savePartitionPosition(manager, key, next);
      return admissions;
    });
  }

  it('starts from nothing, stores the position with the effects, and reads it back for a seek', async () => {
    expect(await applyBatch([0, 1, 2], [10, 11, 12])).toEqual(['apply', 'apply', 'apply']);
    const stored = await readPartitionPosition(dataSource.manager, key);
    expect(stored?.nextOffset).toBe(3n);
    expect(stored?.sequences.get('orders')).toBe(producerSequence(12n, 0));
  });

  it('applies a redelivered batch and a republished copy zero times', async () => {
    // Offsets 1-2 again (Kafka's committed offset was behind), then offset 3 carrying sequence 12
    // again (the relay published it twice), then a new event.
    expect(await applyBatch([1, 2, 3, 4], [11, 12, 12, 13])).toEqual(['redelivered', 'redelivered', 'republished', 'apply']);
    const rows: Array<{ offset_applied: string }> = await dataSource.query('SELECT offset_applied FROM effects ORDER BY 1');
    expect(rows.map((row) => row.offset_applied)).toEqual(['0', '1', '2', '4']);
  });

  it('rolls the position back with the effects when the transaction fails', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        const { position } = admit(await lockPartitionPosition(manager, key), [{ offset: 5n, producer: 'orders', sequence: producerSequence(14n, 0) }]);
        await savePartitionPosition(manager, key, position);
        throw new Error('the effect failed');
      }),
    ).rejects.toThrow('the effect failed');
    expect((await readPartitionPosition(dataSource.manager, key))?.nextOffset).toBe(5n);
    expect(await applyBatch([5], [14])).toEqual(['apply']);
  });

  // First on a partition the group meets for the first time (the second waits on the first's
  // uncommitted insert of the row), then on the same partition again (it waits on the row lock).
  it.each([
    ['a partition it has no position for yet', 0],
    ['a partition it has a position for', 2],
  ])('serialises two instances working on the same batch at once, on %s: the second applies nothing twice', async (_, first) => {
    const other: PositionKey = { ...key, partition: 4 };
    const batch = [{ offset: BigInt(first) }, { offset: BigInt(first + 1) }];
    const firstInstance = dataSource.createQueryRunner();
    await firstInstance.connect();
    await firstInstance.startTransaction();
    try {
      const position = await lockPartitionPosition(firstInstance.manager, other);
      // The second instance (a zombie, or the new owner after a rebalance) gets the same batch.
      const second = dataSource.transaction(async (manager) => {
        const { admissions, position: next } = admit(await lockPartitionPosition(manager, other), batch);
        await savePartitionPosition(manager, other, next);
        return admissions;
      });
      // It really waits for the first (rather than merely running after it).
      await waitFor(
        async () => {
          const [{ n }] = await dataSource.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND query LIKE '%consumer_positions%' AND pid <> pg_backend_pid()`,
          );
          return n === 1;
        },
        { description: 'the second instance to wait for the first one\'s transaction', timeoutMs: 10_000 },
      );
      const applied = admit(position, batch);
      expect(applied.admissions).toEqual(['apply', 'apply']);
      await savePartitionPosition(firstInstance.manager, other, applied.position);
      await firstInstance.commitTransaction();
      expect(await second).toEqual(['redelivered', 'redelivered']);
    } finally {
      await firstInstance.release();
    }
    expect((await readPartitionPosition(dataSource.manager, other))?.nextOffset).toBe(BigInt(first + 2));
  });

  it('keeps one row per partition, however many events were applied', async () => {
    for (let batch = 0; batch < 5; batch++) await applyBatch([6 + batch * 2, 7 + batch * 2], [20 + batch * 2, 21 + batch * 2]);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM consumer_positions WHERE consumer_group = $1 AND topic = $2 AND partition = $3`, [key.consumerGroup, key.topic, key.partition]);
    expect(n).toBe(1);
  });
});
