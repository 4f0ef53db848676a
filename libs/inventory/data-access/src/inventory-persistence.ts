import { inboxPersistence, outboxPersistence } from '@relay/messaging';
import { CreateStock1731000000100 } from './migrations/1731000000100-create-stock';
import { ReservationEntity } from './reservation.entity';
import { StockItemEntity } from './stock-item.entity';

/** Everything the inventory schema holds: stock, reservations, the inbox and the outbox. */
export const inventoryPersistence = {
  entities: [StockItemEntity, ReservationEntity, ...inboxPersistence.entities, ...outboxPersistence.entities],
  migrations: [...outboxPersistence.migrations, ...inboxPersistence.migrations, CreateStock1731000000100],
};
