import { Module } from '@nestjs/common';
import { EventServiceDefinition } from '@relay/messaging';
import { ordersPersistence } from '@relay/orders/data-access';
import { OrderIntakeOptions, OrdersModule } from '@relay/orders/feature';

/**
 * The orders service: what it stores and its feature module (what it publishes and consumes: ServiceTopology). `intake`
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
    feature: OrdersFeatureModule,
  };
}
