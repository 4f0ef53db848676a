import { Controller } from '@nestjs/common';
import { OrderCancelledV1, OrderPlacedV1 } from '@relay/contracts';
import { ConsumedBatchContext, ConsumedEventContext, Ctx, OnEvent, OnEvents, Payload } from '@relay/messaging';
import { ReleaseStockUseCase } from './release-stock.use-case';
import { ReserveStockUseCase } from './reserve-stock.use-case';

/** Inventory's side of the order flow. Delivery guarantees: see EventConsumerServer. */
@Controller()
export class OrderEventsController {
  constructor(
    private readonly reserveStock: ReserveStockUseCase,
    private readonly releaseStock: ReleaseStockUseCase,
  ) {}

  /** Runs of placed orders: one reservation pass per run (see ReserveStockUseCase). */
  @OnEvents(OrderPlacedV1)
  async onOrdersPlaced(@Payload() events: OrderPlacedV1[], @Ctx() context: ConsumedBatchContext): Promise<void> {
    await this.reserveStock.execute(context.manager, events.map((event) => ({ event, traceparent: context.traceparentOf(event) })));
  }

  @OnEvent(OrderCancelledV1)
  async onOrderCancelled(@Payload() event: OrderCancelledV1, @Ctx() context: ConsumedEventContext): Promise<void> {
    await this.releaseStock.execute(context.manager, event);
  }
}
