import { randomUUID } from 'node:crypto';
import { integrationEnv, openTestDataSource, uniqueName } from '@relay/testing';
import { ordersPersistence } from '../orders-persistence';
import { recordStatusChanges } from '../order-status-store';
import { statusHistory } from '../order-store';
import { CreateOrders1731000000000 } from './1731000000000-create-orders';
import { OrderLifecycle1731000000001 } from './1731000000001-order-lifecycle';

jest.setTimeout(60_000);

describe('the status history in the order row, against real PostgreSQL', () => {
  const env = integrationEnv();
  const schema = uniqueName('it_orders_history');
  const opened: Array<Awaited<ReturnType<typeof openTestDataSource>>> = [];

  afterAll(async () => {
    const [last, ...others] = opened.reverse();
    for (const each of others) await each.destroy();
    await last?.drop();
  });

  it('moves each order history from order_status_history into its row, in order, and drops the table', async () => {
    const before = await openTestDataSource(env.databaseUrl, schema, { entities: [], migrations: [CreateOrders1731000000000, OrderLifecycle1731000000001] });
    opened.push(before);
    const [shipped, placed] = [randomUUID(), randomUUID()];
    await before.query(`INSERT INTO orders (id, customer_id, status, created_at, updated_at) VALUES ($1, 'c-1', 'SCHEDULED', '2026-12-01T10:00:00Z', now()), ($2, 'c-2', 'PENDING', '2026-12-01T11:00:00Z', now())`, [shipped, placed]);
    await before.query(
      `INSERT INTO order_status_history (order_id, from_status, to_status, cause, changed_at) VALUES
         ($1, NULL, 'PENDING', 'order.placed.v1', '2026-12-01T10:00:00Z'),
         ($2, NULL, 'PENDING', 'order.placed.v1', '2026-12-01T11:00:00Z'),
         ($1, 'PENDING', 'CONFIRMED', 'stock.reserved.v1', '2026-12-01T10:00:01Z'),
         ($1, 'CONFIRMED', 'SCHEDULED', 'delivery.scheduled.v1', '2026-12-01T10:00:02Z')`,
      [shipped, placed],
    );

    const after = await openTestDataSource(env.databaseUrl, schema, ordersPersistence);
    opened.push(after);
    expect(await statusHistory(after.manager, shipped)).toEqual([
      { from: null, to: 'PENDING', cause: 'order.placed.v1', at: new Date('2026-12-01T10:00:00Z') },
      { from: 'PENDING', to: 'CONFIRMED', cause: 'stock.reserved.v1', at: new Date('2026-12-01T10:00:01Z') },
      { from: 'CONFIRMED', to: 'SCHEDULED', cause: 'delivery.scheduled.v1', at: new Date('2026-12-01T10:00:02Z') },
    ]);
    expect(await statusHistory(after.manager, placed)).toEqual([{ from: null, to: 'PENDING', cause: 'order.placed.v1', at: new Date('2026-12-01T11:00:00Z') }]);
    expect(await after.query(`SELECT to_regclass('order_status_history') AS history`)).toEqual([{ history: null }]);

    // A run of changes, two for one order: the row takes the last, the history gets both, in order.
    await after.transaction((manager) =>
      recordStatusChanges(manager, [
        { orderId: placed, from: 'PENDING', to: 'CONFIRMED', reason: null, cause: 'stock.reserved.v1', at: new Date('2026-12-01T11:00:01Z') },
        { orderId: placed, from: 'CONFIRMED', to: 'CANCELLED', reason: { code: 'CUSTOMER_REQUEST' }, cause: 'cancel', at: new Date('2026-12-01T11:00:02Z') },
      ]),
    );
    const [row] = await after.query(`SELECT status, status_reason AS reason, updated_at AS "updatedAt" FROM orders WHERE id = $1`, [placed]);
    expect(row).toEqual({ status: 'CANCELLED', reason: { code: 'CUSTOMER_REQUEST' }, updatedAt: new Date('2026-12-01T11:00:02Z') });
    expect((await statusHistory(after.manager, placed)).map((change) => [change.from, change.to, change.cause, change.at.toISOString()])).toEqual([
      [null, 'PENDING', 'order.placed.v1', '2026-12-01T11:00:00.000Z'],
      ['PENDING', 'CONFIRMED', 'stock.reserved.v1', '2026-12-01T11:00:01.000Z'],
      ['CONFIRMED', 'CANCELLED', 'cancel', '2026-12-01T11:00:02.000Z'],
    ]);
  });
});
