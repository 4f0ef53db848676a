import { inboxPersistence } from '@relay/messaging';
import { CreateStock1731000000100 } from './migrations/1731000000100-create-stock';
import { ReservationEntity } from './reservation.entity';
import { StockItemEntity } from './stock-item.entity';

/** Everything the inventory schema holds: stock, reservations, and the processed-events inbox. */
export const inventoryPersistence = {
  entities: [StockItemEntity, ReservationEntity, ...inboxPersistence.entities],
  migrations: [...inboxPersistence.migrations, CreateStock1731000000100],
};
