import { Module } from '@nestjs/common';
import { OrdersController } from './orders.controller';
import { PlaceOrderUseCase } from './place-order/place-order.use-case';
import { GetOrderUseCase } from './get-order/get-order.use-case';

@Module({
  controllers: [OrdersController],
  providers: [PlaceOrderUseCase, GetOrderUseCase],
})
export class OrdersModule {}
