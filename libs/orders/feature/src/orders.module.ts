import { Module } from '@nestjs/common';
import { OrdersController } from './orders.controller';
import { PlaceOrderUseCase } from './place-order/place-order.use-case';
import { GetOrderUseCase } from './get-order/get-order.use-case';
import { CancelOrderUseCase } from './cancel-order/cancel-order.use-case';
import { ListOrdersUseCase } from './list-orders/list-orders.use-case';
import { ApplyOrderFactUseCase } from './track-order-status/apply-order-fact.use-case';
import { OrderStatusEventsController } from './track-order-status/order-status-events.controller';

@Module({
  controllers: [OrdersController, OrderStatusEventsController],
  providers: [PlaceOrderUseCase, GetOrderUseCase, CancelOrderUseCase, ListOrdersUseCase, ApplyOrderFactUseCase],
})
export class OrdersModule {}
