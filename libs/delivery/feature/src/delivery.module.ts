import { Module } from '@nestjs/common';
import { OrderEventsController } from './schedule-delivery/order-events.controller';
import { ScheduleDeliveryUseCase } from './schedule-delivery/schedule-delivery.use-case';
import { DeliveriesController } from './deliveries/deliveries.controller';

@Module({
  controllers: [OrderEventsController, DeliveriesController],
  providers: [ScheduleDeliveryUseCase],
})
export class DeliveryModule {}
