import { inboxPersistence } from '@relay/messaging';
import { CreateDeliveries1731000000200 } from './migrations/1731000000200-create-deliveries';
import { DeliveryEntity } from './delivery.entity';

/** Everything the delivery schema holds: deliveries and the processed-events inbox. */
export const deliveryPersistence = {
  entities: [DeliveryEntity, ...inboxPersistence.entities],
  migrations: [...inboxPersistence.migrations, CreateDeliveries1731000000200],
};
