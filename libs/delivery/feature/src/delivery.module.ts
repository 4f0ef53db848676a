import { Module } from '@nestjs/common';
import { TrackDeliveryEventsController } from './track-delivery/track-delivery.events.controller';
import { TrackDeliveryUseCase } from './track-delivery/track-delivery.use-case';
import { DeliveriesController } from './deliveries/deliveries.controller';

@Module({
  controllers: [TrackDeliveryEventsController, DeliveriesController],
  providers: [TrackDeliveryUseCase],
})
export class DeliveryModule {}
