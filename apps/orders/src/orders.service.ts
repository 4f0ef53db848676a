import { ordersPersistence } from '@relay/orders/data-access';
import { OrdersModule } from '@relay/orders/feature';
import { EventServiceDefinition } from '@relay/service-host';
import { orderIntakeOptionsFrom, OrdersConfig, readOrdersConfig } from './config/orders.config';

/**
 * The orders service: what it stores, how it reads its environment, and its feature module (its
 * topics: ServiceTopology.orders). POST /orders takes its group-commit settings from the
 * validated environment.
 */
export const ordersService: EventServiceDefinition<OrdersConfig> = {
  name: 'orders',
  description: 'Takes orders, tracks their status through inventory and delivery events, and lets customers cancel.',
  persistence: ordersPersistence,
  readConfig: () => readOrdersConfig(),
  feature: (config) => OrdersModule.withIntake(() => orderIntakeOptionsFrom(config)),
};
