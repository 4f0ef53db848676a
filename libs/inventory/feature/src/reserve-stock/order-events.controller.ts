import { Controller } from '@nestjs/common';
import { OrderPlacedV1 } from '@relay/contracts';
import { ConsumedEventContext, Ctx, OnEvent, Payload } from '@relay/messaging';
import { ReserveStockUseCase } from './reserve-stock.use-case';

/** Inventory's side of the order flow. Delivery guarantees: see EventConsumerServer. */
@Controller()
export class OrderEventsController {
  constructor(private readonly reserveStock: ReserveStockUseCase) {}

  @OnEvent(OrderPlacedV1)
  async onOrderPlaced(@Payload() event: OrderPlacedV1, @Ctx() context: ConsumedEventContext): Promise<void> {
    await this.reserveStock.execute(context.manager, event.data);
  }
}
