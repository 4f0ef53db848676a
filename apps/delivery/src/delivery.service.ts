import { deliveryPersistence } from '@relay/delivery/data-access';
import { DeliveryModule } from '@relay/delivery/feature';
import { EventServiceDefinition } from '@relay/service-host';
import { DeliveryConfig, readDeliveryConfig } from './config/delivery.config';

/** The delivery service: what it stores, how it reads its environment, and its feature module (its topics: ServiceTopology.delivery). */
export const deliveryService: EventServiceDefinition<DeliveryConfig> = {
  name: 'delivery',
  description: 'Delivery slots and routes, prepared on order placement and confirmed once stock is reserved.',
  persistence: deliveryPersistence,
  readConfig: () => readDeliveryConfig(),
  feature: () => DeliveryModule,
};
