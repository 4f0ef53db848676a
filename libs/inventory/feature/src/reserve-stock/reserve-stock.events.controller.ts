import { Controller } from '@nestjs/common';
import { OrderCancelledV1, OrderPlacedV1 } from '@relay/contracts';
import { ConsumedBatchContext, Ctx, OnEvents, Payload } from '@relay/messaging';
import { ReserveStockUseCase } from './reserve-stock.use-case';

/** Inventory's side of the order flow. Delivery guarantees: see EventConsumerServer. */
@Controller()
export class ReserveStockEventsController {
  constructor(private readonly reserveStock: ReserveStockUseCase) {}

  /** Runs of placed and cancelled orders: one pass over the stock per run (see ReserveStockUseCase). */
  @OnEvents(OrderPlacedV1, OrderCancelledV1)
  async onOrderEvents(@Payload() events: (OrderPlacedV1 | OrderCancelledV1)[], @Ctx() context: ConsumedBatchContext): Promise<void> {
    await this.reserveStock.execute(context.manager, events.map((event) => ({ event, traceparent: context.traceparentOf(event) })));
  }
}
