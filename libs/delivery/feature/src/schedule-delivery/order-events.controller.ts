import { Controller } from '@nestjs/common';
import { OrderPlacedV1 } from '@relay/contracts';
import { ConsumedEventContext, Ctx, OnEvent, Payload } from '@relay/messaging';
import { ScheduleDeliveryUseCase } from './schedule-delivery.use-case';

/** Delivery's side of the order flow. Delivery guarantees: see EventConsumerServer. */
@Controller()
export class OrderEventsController {
  constructor(private readonly scheduleDelivery: ScheduleDeliveryUseCase) {}

  @OnEvent(OrderPlacedV1)
  async onOrderPlaced(@Payload() event: OrderPlacedV1, @Ctx() context: ConsumedEventContext): Promise<void> {
    await this.scheduleDelivery.execute(context.manager, event.data);
  }
}
