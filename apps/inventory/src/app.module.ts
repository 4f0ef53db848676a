import { EventServiceDefinition } from '@relay/messaging';
import { inventoryPersistence } from '@relay/inventory/data-access';
import { InventoryModule } from '@relay/inventory/feature';

/** The inventory service: what it stores and its feature module (what it publishes and consumes: ServiceTopology). */
export const inventoryService: EventServiceDefinition = {
  name: 'inventory',
  description: 'Stock levels and per-order reservations (all lines or none), driven by order events.',
  persistence: inventoryPersistence,
  feature: InventoryModule,
};
