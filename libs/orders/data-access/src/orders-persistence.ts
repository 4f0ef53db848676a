import { inboxPersistence, outboxPersistence } from '@relay/messaging';
import { CreateOrders1731000000000 } from './migrations/1731000000000-create-orders';
import { OrderLifecycle1731000000001 } from './migrations/1731000000001-order-lifecycle';
import { StatusHistoryInOrderRow1731000000002 } from './migrations/1731000000002-status-history-in-order-row';
import { OrderEntity } from './order.entity';
import { OrderLineEntity } from './order-line.entity';

/** Everything the orders schema holds: orders (with their status history) and their lines, the outbox and the inbox. */
export const ordersPersistence = {
  entities: [OrderEntity, OrderLineEntity, ...outboxPersistence.entities, ...inboxPersistence.entities],
  migrations: [...outboxPersistence.migrations, ...inboxPersistence.migrations, CreateOrders1731000000000, OrderLifecycle1731000000001, StatusHistoryInOrderRow1731000000002],
};
