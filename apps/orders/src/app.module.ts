import { Module } from '@nestjs/common';
import { ServiceTopology } from '@relay/contracts';
import { EventServiceDefinition } from '@relay/messaging';
import { ordersPersistence } from '@relay/orders/data-access';
import { OrderIntakeOptions, OrdersModule } from '@relay/orders/feature';

/**
 * The orders service: what it stores, publishes and consumes, and its feature module. `intake`
 * gives the group-commit settings of POST /orders; it is called when the application is built,
 * once the environment has been read and validated.
 */
export function ordersService(intake: () => OrderIntakeOptions): EventServiceDefinition {
  @Module({ imports: [OrdersModule.withIntake(intake)] })
  class OrdersFeatureModule {}

  return {
    name: 'orders',
    description: 'Takes orders, tracks their status through inventory and delivery events, and lets customers cancel.',
    persistence: ordersPersistence,
    publishes: [...ServiceTopology.orders.publishes],
    consumes: [...ServiceTopology.orders.consumes],
    feature: OrdersFeatureModule,
  };
}
