import { randomUUID } from 'node:crypto';
import { integrationEnv, openTestDataSource, uniqueName } from '@relay/testing';
import { DeliveryState, NEW_DELIVERY } from '@relay/delivery/domain';
import { deliveryPersistence } from './delivery-persistence';
import { lockDeliveries, saveDeliveries } from './delivery-store';

jest.setTimeout(60_000);

const PLAN = { deliveryDate: '2026-12-08', timeWindow: '08:00-10:00', route: 'R-01' };
const prepared: DeliveryState = { status: 'PREPARED', plan: PLAN, stock: 'UNKNOWN', cancelReason: null };
const scheduled: DeliveryState = { status: 'SCHEDULED', plan: PLAN, stock: 'RESERVED', cancelReason: null };
const knowsStock: DeliveryState = { ...NEW_DELIVERY, stock: 'RESERVED' };

describe('delivery store against real PostgreSQL', () => {
  const env = integrationEnv();
  const schema = uniqueName('it_delivery_store');
  let dataSource: Awaited<ReturnType<typeof openTestDataSource>>;

  beforeAll(async () => {
    dataSource = await openTestDataSource(env.databaseUrl, schema, deliveryPersistence);
  });

  afterAll(async () => {
    await dataSource?.drop();
  });

  const stored = async (orderId: string) =>
    (await dataSource.query(`SELECT status, stock_status AS stock, route FROM deliveries WHERE order_id = $1`, [orderId]))[0];

  it('creates the rows it did not lock and updates the ones it did, one row write each (pg_stat_xact_user_tables)', async () => {
    const [fresh, known] = [randomUUID(), randomUUID()];
    await dataSource.transaction((manager) => saveDeliveries(manager, new Map([[known, prepared]]), new Set()));

    await dataSource.transaction(async (manager) => {
      const locked = await lockDeliveries(manager, [fresh, known]);
      expect([...locked]).toEqual([[known, prepared]]);
      const writes = async (): Promise<{ inserted: number; updated: number }> =>
        (await manager.query(`SELECT n_tup_ins::int AS inserted, n_tup_upd::int AS updated FROM pg_stat_xact_user_tables WHERE relid = 'deliveries'::regclass`))[0];
      const before = await writes();
      await saveDeliveries(manager, new Map([[fresh, knowsStock], [known, scheduled]]), new Set(locked.keys()));
      const after = await writes();
      expect({ inserted: after.inserted - before.inserted, updated: after.updated - before.updated }).toEqual({ inserted: 1, updated: 1 });
    });
    expect(await stored(fresh)).toEqual({ status: 'PENDING', stock: 'RESERVED', route: null });
    expect(await stored(known)).toEqual({ status: 'SCHEDULED', stock: 'RESERVED', route: 'R-01' });
  });

  it('leaves alone a row another transaction created after it looked, and names it; locked then, it is updated', async () => {
    const orderId = randomUUID();
    const other = dataSource.createQueryRunner();
    await other.connect();
    try {
      await dataSource.transaction(async (manager) => {
        // This run reads the order as having no delivery yet…
        expect((await lockDeliveries(manager, [orderId])).size).toBe(0);
        // …while the other topic's run creates it and commits.
        await other.startTransaction();
        expect(await saveDeliveries(other.manager, new Map([[orderId, knowsStock]]), new Set())).toEqual([]);
        await other.commitTransaction();
        expect(await saveDeliveries(manager, new Map([[orderId, prepared]]), new Set())).toEqual([orderId]);
        expect(await stored(orderId)).toEqual({ status: 'PENDING', stock: 'RESERVED', route: null });
        // The caller locks it now and stores its facts applied on top of the other's.
        const locked = await lockDeliveries(manager, [orderId]);
        expect(locked.get(orderId)).toEqual(knowsStock);
        expect(await saveDeliveries(manager, new Map([[orderId, scheduled]]), new Set(locked.keys()))).toEqual([]);
      });
    } finally {
      await other.release();
    }
    expect(await stored(orderId)).toEqual({ status: 'SCHEDULED', stock: 'RESERVED', route: 'R-01' });
  });
});
