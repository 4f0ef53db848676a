import { Controller } from '@nestjs/common';
import { OrderCancelledV1, OrderPlacedV1, StockRejectedV1, StockReservedV1 } from '@relay/contracts';
import { ConsumedEventContext, Ctx, OnEvent, Payload } from '@relay/messaging';
import { planDelivery } from '@relay/delivery/domain';
import { TrackDeliveryUseCase } from './track-delivery.use-case';

/** Delivery's side of the order flow: orders and stock events. Guarantees: see EventConsumerServer. */
@Controller()
export class OrderEventsController {
  constructor(private readonly trackDelivery: TrackDeliveryUseCase) {}

  @OnEvent(OrderPlacedV1)
  async onOrderPlaced(@Payload() event: OrderPlacedV1, @Ctx() context: ConsumedEventContext): Promise<void> {
    const plan = planDelivery(event.data.orderId, new Date(event.data.placedAt), event.data.shippingAddress);
    await this.trackDelivery.execute(context.manager, event.data.orderId, { kind: 'ORDER_PLACED', plan }, event);
  }

  @OnEvent(StockReservedV1)
  async onStockReserved(@Payload() event: StockReservedV1, @Ctx() context: ConsumedEventContext): Promise<void> {
    await this.trackDelivery.execute(context.manager, event.data.orderId, { kind: 'STOCK_RESERVED' }, event);
  }

  @OnEvent(StockRejectedV1)
  async onStockRejected(@Payload() event: StockRejectedV1, @Ctx() context: ConsumedEventContext): Promise<void> {
    await this.trackDelivery.execute(context.manager, event.data.orderId, { kind: 'STOCK_REJECTED' }, event);
  }

  @OnEvent(OrderCancelledV1)
  async onOrderCancelled(@Payload() event: OrderCancelledV1, @Ctx() context: ConsumedEventContext): Promise<void> {
    await this.trackDelivery.execute(context.manager, event.data.orderId, { kind: 'ORDER_CANCELLED' }, event);
  }
}
