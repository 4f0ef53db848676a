import { Controller } from '@nestjs/common';
import { DeliveryCancelledV1, DeliveryScheduledV1, StockRejectedV1, StockReservedV1 } from '@relay/contracts';
import { ConsumedBatchContext, Ctx, OnEvents, Payload } from '@relay/messaging';
import { OrderFact } from '@relay/orders/domain';
import { ApplyOrderFactUseCase } from './apply-order-fact.use-case';

type OrderStatusEvent = StockReservedV1 | StockRejectedV1 | DeliveryScheduledV1 | DeliveryCancelledV1;

/** What an event tells the orders service about its order. */
function factOf(event: OrderStatusEvent): OrderFact {
  switch (event.type) {
    case 'stock.reserved':
      return { kind: 'STOCK_RESERVED' };
    case 'stock.rejected':
      return { kind: 'STOCK_REJECTED', reason: { ...event.data.reason } };
    case 'delivery.scheduled':
      return { kind: 'DELIVERY_SCHEDULED' };
    case 'delivery.cancelled':
      return { kind: 'DELIVERY_CANCELLED' };
  }
}

/** The orders group's view of inventory and delivery: each event is one fact for the state machine. */
@Controller()
export class TrackOrderStatusEventsController {
  constructor(private readonly applyFact: ApplyOrderFactUseCase) {}

  @OnEvents(StockReservedV1, StockRejectedV1, DeliveryScheduledV1, DeliveryCancelledV1)
  async onOrderFacts(@Payload() events: OrderStatusEvent[], @Ctx() context: ConsumedBatchContext): Promise<void> {
    await this.applyFact.execute(
      context.manager,
      events.map((event) => ({ orderId: event.data.orderId, fact: factOf(event), cause: `${event.type}.v${event.version}` })),
    );
  }
}
