import { Topics } from '@relay/contracts';
import { EventServiceDefinition } from '@relay/messaging';
import { ordersPersistence } from '@relay/orders/data-access';
import { OrdersModule } from '@relay/orders/feature';

/** The orders service: what it stores, publishes and consumes, and its feature module. */
export const ordersService: EventServiceDefinition = {
  name: 'orders',
  description: 'Takes orders, tracks their status through inventory and delivery events, and lets customers cancel.',
  persistence: ordersPersistence,
  publishes: [Topics.orderEvents],
  consumes: [Topics.inventoryEvents, Topics.deliveryEvents],
  feature: OrdersModule,
};
