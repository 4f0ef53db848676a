import { inboxPersistence, outboxPersistence } from '@relay/messaging';
import { CreateOrders1731000000000 } from './migrations/1731000000000-create-orders';
import { OrderLifecycle1731000000001 } from './migrations/1731000000001-order-lifecycle';
import { OrderStatusHistoryEntity } from './order-status-history.entity';
import { OrderEntity } from './order.entity';
import { OrderLineEntity } from './order-line.entity';

/** Everything the orders schema holds: orders, their lines and history, the outbox and the inbox. */
export const ordersPersistence = {
  entities: [OrderEntity, OrderLineEntity, OrderStatusHistoryEntity, ...outboxPersistence.entities, ...inboxPersistence.entities],
  migrations: [...outboxPersistence.migrations, ...inboxPersistence.migrations, CreateOrders1731000000000, OrderLifecycle1731000000001],
};
