import { inventoryPersistence } from '@relay/inventory/data-access';
import { InventoryModule } from '@relay/inventory/feature';
import { EventServiceDefinition } from '@relay/service-host';
import { InventoryConfig, readInventoryConfig } from './config/inventory.config';

/** The inventory service: what it stores, how it reads its environment, and its feature module (its topics: ServiceTopology.inventory). */
export const inventoryService: EventServiceDefinition<InventoryConfig> = {
  name: 'inventory',
  description: 'Stock levels and per-order reservations (all lines or none), driven by order events.',
  persistence: inventoryPersistence,
  readConfig: () => readInventoryConfig(),
  feature: () => InventoryModule,
};
