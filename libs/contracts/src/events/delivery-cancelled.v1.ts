import { z } from 'zod';
import { defineEvent, EnvelopeOf } from '../event-contract';
import { Topics } from '../topics';

/** Delivery cancelled what it had prepared for an order (stock rejected, or order cancelled). */
export const DeliveryCancelledV1 = defineEvent({
  type: 'delivery.cancelled',
  version: 1,
  topic: Topics.deliveryEvents,
  schema: z.object({
    orderId: z.uuid(),
    reason: z.enum(['STOCK_REJECTED', 'ORDER_CANCELLED']),
  }),
  keyOf: (data) => data.orderId,
});
export type DeliveryCancelledV1 = EnvelopeOf<typeof DeliveryCancelledV1>;
