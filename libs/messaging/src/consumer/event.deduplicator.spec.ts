import { DataSource, EntityManager } from 'typeorm';
import { AppliedEventsStore, EventDeduplicator, processedEventsStore } from './event.deduplicator';

const where = { consumerGroup: 'inventory', topic: 'relay.orders.v1', partition: 2 };
const event = (eventId: string, offset: string) => ({ eventId, eventType: 'order.placed.v1', offset });

/** A store that remembers claimed ids, as the table's primary key does, and the claims it was asked for. */
function fakeStore(alreadyApplied: string[] = []) {
  const applied = new Set(alreadyApplied);
  const claims: { manager: EntityManager; ids: string[] }[] = [];
  const store: AppliedEventsStore = {
    async claim(manager, _where, events) {
      claims.push({ manager, ids: events.map((each) => each.eventId) });
      const fresh = new Set<string>();
      for (const { eventId } of events) {
        if (applied.has(eventId)) continue;
        applied.add(eventId);
        fresh.add(eventId);
      }
      return fresh;
    },
  };
  return { store, claims };
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
  it('sorts a run out in one claim: new events applied, known ones and second copies duplicates', async () => {
    const { store, claims } = fakeStore(['e-known']);
    const manager = {} as EntityManager;
    const outcomes = await new EventDeduplicator(store).sortOut(manager, where, [event('e-1', '10'), event('e-known', '11'), event('e-2', '12'), event('e-1', '13')]);
    expect(outcomes).toEqual(['applied', 'duplicate', 'applied', 'duplicate']);
    expect(claims).toEqual([{ manager, ids: ['e-1', 'e-known', 'e-2', 'e-1'] }]);
  });

  it('applies an effect once, in the transaction of its claim', async () => {
    const { store, claims } = fakeStore();
    const { dataSource, manager, transactions } = fakeDataSource();
    const deduplicator = new EventDeduplicator(store);
    const effects: EntityManager[] = [];
    const effect = async (inTransaction: EntityManager) => void effects.push(inTransaction);

    expect(await deduplicator.applyOnce(dataSource, where, event('e-1', '10'), effect)).toBe('applied');
    expect(await deduplicator.applyOnce(dataSource, where, event('e-1', '10'), effect)).toBe('duplicate');
    expect(effects).toEqual([manager]);
    expect(claims.map((claim) => claim.manager)).toEqual([manager, manager]);
    expect(transactions).toEqual(['committed', 'committed']);
  });

  it('lets a failing effect roll its claim back with it', async () => {
    const { dataSource, transactions } = fakeDataSource();
    const failing = async () => {
      throw new Error('stock level would go negative');
    };
    await expect(new EventDeduplicator(fakeStore().store).applyOnce(dataSource, where, event('e-1', '10'), failing)).rejects.toThrow('stock level would go negative');
    expect(transactions).toEqual(['rolled back']);
  });
});

describe('processedEventsStore', () => {
  it('claims a run with one INSERT … ON CONFLICT DO NOTHING into processed_events and returns the inserted ids', async () => {
    const queries: { sql: string; parameters: unknown[] }[] = [];
    const manager = {
      async query(sql: string, parameters: unknown[]) {
        queries.push({ sql, parameters });
        return [{ event_id: 'e-1' }];
      },
    } as unknown as EntityManager;
    const claimed = await processedEventsStore.claim(manager, where, [event('e-1', '10'), event('e-2', '11')]);
    expect(claimed).toEqual(new Set(['e-1']));
    expect(queries).toHaveLength(1);
    expect(queries[0].sql).toMatch(/INSERT INTO processed_events[\s\S]*ON CONFLICT \(consumer_group, event_id\) DO NOTHING/);
    expect(queries[0].parameters).toEqual(['inventory', 'relay.orders.v1', 2, ['e-1', 'e-2'], ['order.placed.v1', 'order.placed.v1'], ['10', '11']]);
  });
});
