import { ServiceTopology } from '@relay/contracts';
import { EventServiceDefinition } from '@relay/messaging';
import { deliveryPersistence } from '@relay/delivery/data-access';
import { DeliveryModule } from '@relay/delivery/feature';

/** The delivery service: what it stores, publishes and consumes, and its feature module. */
export const deliveryService: EventServiceDefinition = {
  name: 'delivery',
  description: 'Delivery slots and routes, prepared on order placement and confirmed once stock is reserved.',
  persistence: deliveryPersistence,
  publishes: [...ServiceTopology.delivery.publishes],
  consumes: [...ServiceTopology.delivery.consumes],
  feature: DeliveryModule,
};
