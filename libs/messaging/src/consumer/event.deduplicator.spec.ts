import { DataSource, EntityManager } from 'typeorm';
import { EMPTY_POSITION, PartitionPosition } from '../position/partition-position';
import { producerSequence } from '../position/producer-sequence';
import { formatMessagePosition } from './event-provenance';
import { AppliedEventsStore, EventDeduplicator, EventToClaim, postgresAppliedEventsStore } from './event.deduplicator';

const where = { consumerGroup: 'inventory', topic: 'relay.orders.v1', partition: 2 };
const event = (eventId: string, offset: string, provenance: Partial<EventToClaim> = {}): EventToClaim => ({ eventId, eventType: 'order.placed.v1', offset, ...provenance });
const sequenced = (eventId: string, offset: string, lsn: number) => event(eventId, offset, { producer: 'orders', sequence: producerSequence(BigInt(lsn), 0) });
const original = (offset: number, topic = where.topic) => ({ topic, partition: 0, offset: String(offset) });

/** A store in memory: the partition's position, the parking records and applied ids, and every call made to it. */
function fakeStore(initial: { position?: PartitionPosition; parked?: string[]; ids?: string[] } = {}) {
  let position = initial.position ?? EMPTY_POSITION;
  const parked = new Set(initial.parked);
  const ids = new Set(initial.ids);
  const calls: string[] = [];
  const managers: EntityManager[] = [];
  const store: AppliedEventsStore = {
    async lockPosition(manager) {
      calls.push('lock');
      managers.push(manager);
      return position;
    },
    async savePosition(_manager, _where, next) {
      calls.push(`save ${next.nextOffset}`);
      position = next;
    },
    async claimParked(_manager, _group, originals) {
      const keys = originals.map(formatMessagePosition);
      calls.push(`claim parked ${keys.join(',')}`);
      return new Set(keys.filter((key) => parked.delete(key)));
    },
    async recordParked(_manager, where, record) {
      calls.push(`park ${record.offset}`);
      if (record.replayOf) parked.delete(formatMessagePosition(record.replayOf));
      parked.add(formatMessagePosition({ topic: where.topic, partition: where.partition, offset: record.offset }));
    },
    async claimUnsequenced(_manager, _where, events) {
      calls.push(`ids ${events.map((each) => each.eventId).join(',')}`);
      return new Set(events.map((each) => each.eventId).filter((id) => !ids.has(id) && Boolean(ids.add(id))));
    },
  };
  return { store, calls, managers, parked, position: () => position };
}

/** A DataSource whose transaction hands out one manager and tells whether it committed. */
function fakeDataSource() {
  const manager = { name: 'transaction' } as unknown as EntityManager;
  const transactions: ('committed' | 'rolled back')[] = [];
  const dataSource = {
    async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
      try {
        const result = await work(manager);
        transactions.push('committed');
        return result;
      } catch (error) {
        transactions.push('rolled back');
        throw error;
      }
    },
  } as unknown as DataSource;
  return { dataSource, manager, transactions };
}

describe('EventDeduplicator', () => {
  const manager = {} as EntityManager;

  it('applies new sequenced events and a second copy in the same run once, storing the position once', async () => {
    const { store, calls, position } = fakeStore();
    const outcomes = await new EventDeduplicator(store).sortOut(manager, where, [sequenced('e-1', '10', 100), sequenced('e-2', '11', 101), sequenced('e-1', '12', 100)]);
    expect(outcomes).toEqual(['applied', 'applied', 'duplicate']);
    expect(calls).toEqual(['lock', 'save 13']);
    expect(position().sequences.get('orders')).toBe(producerSequence(101n, 0));
  });

  it('skips offsets below the stored position without writing anything', async () => {
    const stored: PartitionPosition = { nextOffset: 12n, sequences: new Map([['orders', producerSequence(101n, 0)]]) };
    const { store, calls } = fakeStore({ position: stored });
    expect(await new EventDeduplicator(store).sortOut(manager, where, [sequenced('e-1', '10', 100), sequenced('e-2', '11', 101)])).toEqual(['duplicate', 'duplicate']);
    expect(calls).toEqual(['lock']);
  });

  it('skips a copy republished at a new offset and still moves the position past it', async () => {
    const stored: PartitionPosition = { nextOffset: 12n, sequences: new Map([['orders', producerSequence(101n, 0)]]) };
    const { store, calls } = fakeStore({ position: stored });
    expect(await new EventDeduplicator(store).sortOut(manager, where, [sequenced('e-2', '12', 101), sequenced('e-3', '13', 102)])).toEqual(['duplicate', 'applied']);
    expect(calls).toEqual(['lock', 'save 14']);
  });

  it('applies a replay once, by consuming the parking record of its original, and skips a replay it has no record of', async () => {
    const { store, calls, parked } = fakeStore({ parked: [formatMessagePosition(original(3))] });
    const deduplicator = new EventDeduplicator(store);
    const outcomes = await deduplicator.sortOut(manager, where, [
      event('e-parked', '20', { replayOf: original(3) }),
      // Replayed twice: the record is gone.
      event('e-parked', '21', { replayOf: original(3) }),
      // Another group's replay of a message this group applied: it has no record of it.
      event('e-applied', '22', { replayOf: original(4) }),
      // A replay into another topic, or a malformed header, can claim nothing.
      event('e-elsewhere', '23', { replayOf: original(3, 'relay.inventory.v1') }),
      event('e-malformed', '24', { replayOf: null }),
    ]);
    expect(outcomes).toEqual(['applied', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(parked.size).toBe(0);
    expect(calls).toEqual(['lock', `claim parked ${[3, 3, 4].map((offset) => formatMessagePosition(original(offset))).join(',')}`, 'save 25']);
  });

  it('moves the position past a parked message with a record a replay can claim, once', async () => {
    const { store, calls, parked } = fakeStore();
    const { dataSource, transactions } = fakeDataSource();
    const deduplicator = new EventDeduplicator(store);
    await deduplicator.recordParked(dataSource, where, { offset: '7', eventId: null });
    // Redelivered after a crash before the offset commit: neither parked nor recorded again.
    await deduplicator.recordParked(dataSource, where, { offset: '7', eventId: null });
    expect(calls).toEqual(['lock', 'park 7', 'save 8', 'lock']);
    expect([...parked]).toEqual([formatMessagePosition({ ...where, offset: '7' })]);
    expect(transactions).toEqual(['committed', 'committed']);
    expect(await deduplicator.sortOut({} as EntityManager, where, [event('e-7', '9', { replayOf: { topic: where.topic, partition: where.partition, offset: '7' } })])).toEqual(['applied']);
  });

  it('claims events without a sequence by their id, and only those', async () => {
    const { store, calls } = fakeStore({ ids: ['e-known'] });
    const outcomes = await new EventDeduplicator(store).sortOut(manager, where, [event('e-1', '10'), event('e-known', '11'), sequenced('e-2', '12', 5), event('e-1', '13')]);
    expect(outcomes).toEqual(['applied', 'duplicate', 'applied', 'duplicate']);
    expect(calls).toEqual(['lock', 'ids e-1,e-known,e-1', 'save 14']);
  });

  it('applies an effect once, in the transaction that stores the position', async () => {
    const { store, managers } = fakeStore();
    const { dataSource, manager: transaction, transactions } = fakeDataSource();
    const deduplicator = new EventDeduplicator(store);
    const effects: EntityManager[] = [];
    const effect = async (inTransaction: EntityManager) => void effects.push(inTransaction);

    expect(await deduplicator.applyOnce(dataSource, where, sequenced('e-1', '10', 1), effect)).toBe('applied');
    expect(await deduplicator.applyOnce(dataSource, where, sequenced('e-1', '10', 1), effect)).toBe('duplicate');
    expect(await deduplicator.applyOnce(dataSource, where, sequenced('e-1', '11', 1), effect)).toBe('duplicate');
    expect(effects).toEqual([transaction]);
    expect(managers).toEqual([transaction, transaction, transaction]);
    expect(transactions).toEqual(['committed', 'committed', 'committed']);
  });

  it('lets a failing effect roll its position back with it', async () => {
    const { dataSource, transactions } = fakeDataSource();
    const failing = async () => {
      throw new Error('stock level would go negative');
    };
    await expect(new EventDeduplicator(fakeStore().store).applyOnce(dataSource, where, sequenced('e-1', '10', 1), failing)).rejects.toThrow('stock level would go negative');
    expect(transactions).toEqual(['rolled back']);
  });
});

describe('postgresAppliedEventsStore', () => {
  it('claims unsequenced events with one INSERT … ON CONFLICT DO NOTHING into processed_events and returns the inserted ids', async () => {
    const queries: { sql: string; parameters: unknown[] }[] = [];
    // A transaction's manager: its statements run, prepared, on the query runner's pg client.
    const client = {
      async query(statement: { text: string; values: unknown[] }) {
        queries.push({ sql: statement.text, parameters: statement.values });
        return { command: 'INSERT', rows: [{ event_id: 'e-1' }], rowCount: 1 };
      },
    };
    const logger = { logQuery: () => undefined, logQueryError: () => undefined, logQuerySlow: () => undefined };
    const manager = { queryRunner: { isReleased: false, connect: async () => client, connection: { logger, options: {} } } } as unknown as EntityManager;
    const claimed = await postgresAppliedEventsStore.claimUnsequenced(manager, where, [event('e-1', '10'), event('e-2', '11')]);
    expect(claimed).toEqual(new Set(['e-1']));
    expect(queries).toHaveLength(1);
    expect(queries[0].sql).toMatch(/INSERT INTO processed_events[\s\S]*ON CONFLICT \(consumer_group, event_id\) DO NOTHING/);
    expect(queries[0].parameters).toEqual(['inventory', 'relay.orders.v1', 2, ['e-1', 'e-2'], ['order.placed.v1', 'order.placed.v1'], ['10', '11']]);
  });
});
