import { Controller } from '@nestjs/common';
import { DeliveryCancelledV1, DeliveryScheduledV1, StockRejectedV1, StockReservedV1 } from '@relay/contracts';
import { ConsumedEventContext, Ctx, OnEvent, Payload } from '@relay/messaging';
import { ApplyOrderFactUseCase } from './apply-order-fact.use-case';

/** The orders group's view of inventory and delivery: each event is one fact for the state machine. */
@Controller()
export class OrderStatusEventsController {
  constructor(private readonly applyFact: ApplyOrderFactUseCase) {}

  @OnEvent(StockReservedV1)
  async onStockReserved(@Payload() event: StockReservedV1, @Ctx() context: ConsumedEventContext): Promise<void> {
    await this.applyFact.execute(context.manager, event.data.orderId, { kind: 'STOCK_RESERVED' }, StockReservedV1.pattern);
  }

  @OnEvent(StockRejectedV1)
  async onStockRejected(@Payload() event: StockRejectedV1, @Ctx() context: ConsumedEventContext): Promise<void> {
    await this.applyFact.execute(context.manager, event.data.orderId, { kind: 'STOCK_REJECTED', reason: { ...event.data.reason } }, StockRejectedV1.pattern);
  }

  @OnEvent(DeliveryScheduledV1)
  async onDeliveryScheduled(@Payload() event: DeliveryScheduledV1, @Ctx() context: ConsumedEventContext): Promise<void> {
    await this.applyFact.execute(context.manager, event.data.orderId, { kind: 'DELIVERY_SCHEDULED' }, DeliveryScheduledV1.pattern);
  }

  @OnEvent(DeliveryCancelledV1)
  async onDeliveryCancelled(@Payload() event: DeliveryCancelledV1, @Ctx() context: ConsumedEventContext): Promise<void> {
    await this.applyFact.execute(context.manager, event.data.orderId, { kind: 'DELIVERY_CANCELLED' }, DeliveryCancelledV1.pattern);
  }
}
