import { EventServiceDefinition } from '@relay/messaging';
import { deliveryPersistence } from '@relay/delivery/data-access';
import { DeliveryModule } from '@relay/delivery/feature';

/** The delivery service: what it stores and its feature module (what it publishes and consumes: ServiceTopology). */
export const deliveryService: EventServiceDefinition = {
  name: 'delivery',
  description: 'Delivery slots and routes, prepared on order placement and confirmed once stock is reserved.',
  persistence: deliveryPersistence,
  feature: DeliveryModule,
};
