import { DynamicModule, Module } from '@nestjs/common';
import { OrdersController } from './orders.controller';
import { PlaceOrderUseCase } from './place-order/place-order.use-case';
import { ORDER_INTAKE_OPTIONS, OrderIntake, OrderIntakeOptions } from './place-order/order-intake';
import { GetOrderUseCase } from './get-order/get-order.use-case';
import { CancelOrderUseCase } from './cancel-order/cancel-order.use-case';
import { ListOrdersUseCase } from './list-orders/list-orders.use-case';
import { ApplyOrderFactUseCase } from './track-order-status/apply-order-fact.use-case';
import { TrackOrderStatusEventsController } from './track-order-status/track-order-status.events.controller';

@Module({
  controllers: [OrdersController, TrackOrderStatusEventsController],
  providers: [OrderIntake, PlaceOrderUseCase, GetOrderUseCase, CancelOrderUseCase, ListOrdersUseCase, ApplyOrderFactUseCase],
})
export class OrdersModule {
  /**
   * The module with the intake's settings (without: DEFAULT_ORDER_INTAKE_OPTIONS). The factory
   * runs when the application is built, after the service has read its environment.
   */
  static withIntake(options: () => OrderIntakeOptions): DynamicModule {
    return { module: OrdersModule, providers: [{ provide: ORDER_INTAKE_OPTIONS, useFactory: options }] };
  }
}
