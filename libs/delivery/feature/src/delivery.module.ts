import { Module } from '@nestjs/common';
import { OrderEventsController } from './track-delivery/order-events.controller';
import { TrackDeliveryUseCase } from './track-delivery/track-delivery.use-case';
import { DeliveriesController } from './deliveries/deliveries.controller';

@Module({
  controllers: [OrderEventsController, DeliveriesController],
  providers: [TrackDeliveryUseCase],
})
export class DeliveryModule {}
