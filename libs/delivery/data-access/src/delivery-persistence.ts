import { inboxPersistence, outboxPersistence } from '@relay/messaging';
import { CreateDeliveries1731000000200 } from './migrations/1731000000200-create-deliveries';
import { DeliveryLifecycle1731000000201 } from './migrations/1731000000201-delivery-lifecycle';
import { DeliveryEntity } from './delivery.entity';

/** Everything the delivery schema holds: deliveries, the inbox and the outbox. */
export const deliveryPersistence = {
  entities: [DeliveryEntity, ...inboxPersistence.entities, ...outboxPersistence.entities],
  migrations: [...outboxPersistence.migrations, ...inboxPersistence.migrations, CreateDeliveries1731000000200, DeliveryLifecycle1731000000201],
};
