import { outboxPersistence } from '@relay/messaging';
import { CreateOrders1731000000000 } from './migrations/1731000000000-create-orders';
import { OrderEntity } from './order.entity';
import { OrderLineEntity } from './order-line.entity';

/** Everything the orders schema holds: orders, their lines, and the outbox. */
export const ordersPersistence = {
  entities: [OrderEntity, OrderLineEntity, ...outboxPersistence.entities],
  migrations: [...outboxPersistence.migrations, CreateOrders1731000000000],
};
