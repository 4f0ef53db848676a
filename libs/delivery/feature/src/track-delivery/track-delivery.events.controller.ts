import { Controller } from '@nestjs/common';
import { OrderCancelledV1, OrderPlacedV1, StockRejectedV1, StockReservedV1 } from '@relay/contracts';
import { ConsumedBatchContext, Ctx, OnEvents, Payload } from '@relay/messaging';
import { DeliveryFact, planDelivery } from '@relay/delivery/domain';
import { TrackDeliveryUseCase } from './track-delivery.use-case';

type DeliveryEvent = OrderPlacedV1 | StockReservedV1 | StockRejectedV1 | OrderCancelledV1;

/** What an event tells delivery about its order. */
function factOf(event: DeliveryEvent): DeliveryFact {
  switch (event.type) {
    case 'order.placed':
      return { kind: 'ORDER_PLACED', plan: planDelivery(event.data.orderId, new Date(event.data.placedAt), event.data.shippingAddress) };
    case 'stock.reserved':
      return { kind: 'STOCK_RESERVED' };
    case 'stock.rejected':
      return { kind: 'STOCK_REJECTED' };
    case 'order.cancelled':
      return { kind: 'ORDER_CANCELLED' };
  }
}

/** Delivery's side of the order flow: orders and stock events. Guarantees: see EventConsumerServer. */
@Controller()
export class TrackDeliveryEventsController {
  constructor(private readonly trackDelivery: TrackDeliveryUseCase) {}

  /** Runs of events from either topic, each one fact about its order's delivery. */
  @OnEvents(OrderPlacedV1, StockReservedV1, StockRejectedV1, OrderCancelledV1)
  async onOrderFacts(@Payload() events: DeliveryEvent[], @Ctx() context: ConsumedBatchContext): Promise<void> {
    await this.trackDelivery.execute(
      context.manager,
      events.map((event) => ({ orderId: event.data.orderId, fact: factOf(event), cause: event, traceparent: context.traceparentOf(event) })),
    );
  }
}
