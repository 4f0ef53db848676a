import { anOrderPlacedV1 } from '@relay/contracts';
import { integrationEnv, openTestDataSource, uniqueName, waitFor } from '@relay/testing';
import { planDelivery } from '@relay/delivery/domain';
import { deliveryPersistence, saveDeliveries } from '@relay/delivery/data-access';
import { TrackDeliveryUseCase } from './track-delivery.use-case';

jest.setTimeout(60_000);

describe('TrackDeliveryUseCase against real PostgreSQL', () => {
  const env = integrationEnv();
  const schema = uniqueName('it_track_delivery');
  let dataSource: Awaited<ReturnType<typeof openTestDataSource>>;
  const trackDelivery = new TrackDeliveryUseCase();

  beforeAll(async () => {
    dataSource = await openTestDataSource(env.databaseUrl, schema, deliveryPersistence);
  });

  afterAll(async () => {
    await dataSource?.drop();
  });

  it("applies an order's facts on top of a row the other topic's run created while it was running, and announces once", async () => {
    const placed = anOrderPlacedV1();
    const orderId = placed.data.orderId;
    const other = dataSource.createQueryRunner();
    await other.connect();
    try {
      // The stock run has created the row (stock RESERVED, order not known yet) and not committed.
      await other.startTransaction();
      const [{ pid }] = await other.query(`SELECT pg_backend_pid() AS pid`);
      expect(await saveDeliveries(other.manager, new Map([[orderId, { status: 'PENDING', plan: null, stock: 'RESERVED', cancelReason: null }]]), new Set())).toEqual([]);

      // The order run does not see it, so it creates the row too: its insert waits for the stock run.
      const orderRun = dataSource.transaction((manager) =>
        trackDelivery.execute(manager, [{ orderId, fact: { kind: 'ORDER_PLACED', plan: planDelivery(orderId, new Date(placed.data.placedAt)) }, cause: placed }]),
      );
      await waitFor(
        async () => (await dataSource.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, [pid]))[0].n > 0,
        { timeoutMs: 10_000, description: 'the order run to wait for the stock run' },
      );
      await other.commitTransaction();
      await orderRun;
    } finally {
      await other.release();
    }

    const [delivery] = await dataSource.query(`SELECT status, stock_status AS stock, route IS NOT NULL AS planned FROM deliveries WHERE order_id = $1`, [orderId]);
    expect(delivery).toEqual({ status: 'SCHEDULED', stock: 'RESERVED', planned: true });
    const announced = await dataSource.query(`SELECT event_type AS type FROM outbox WHERE message_key = $1`, [orderId]);
    expect(announced).toEqual([{ type: 'delivery.scheduled.v1' }]);
  });
});
