import { ServiceTopology } from '@relay/contracts';
import { EventServiceDefinition } from '@relay/messaging';
import { inventoryPersistence } from '@relay/inventory/data-access';
import { InventoryModule } from '@relay/inventory/feature';

/** The inventory service: what it stores, publishes and consumes, and its feature module. */
export const inventoryService: EventServiceDefinition = {
  name: 'inventory',
  description: 'Stock levels and per-order reservations (all lines or none), driven by order events.',
  persistence: inventoryPersistence,
  publishes: [...ServiceTopology.inventory.publishes],
  consumes: [...ServiceTopology.inventory.consumes],
  feature: InventoryModule,
};
