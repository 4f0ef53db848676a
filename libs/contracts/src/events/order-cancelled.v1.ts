import { z } from 'zod';
import { defineEvent, EnvelopeOf } from '../event-contract';
import { Topics } from '../topics';
import { plainText } from '../text';

/** The longest cancellation reason, for `POST /orders/:id/cancel` (cancel-order.dto.ts) and the event alike. */
export const CANCEL_REASON_MAX_LENGTH = 500;

/** A customer cancelled an order before it shipped. Inventory releases its stock; delivery cancels. */
export const OrderCancelledV1 = defineEvent({
  type: 'order.cancelled',
  version: 1,
  topic: Topics.orderEvents,
  schema: z.object({
    orderId: z.uuid(),
    reason: plainText(1, CANCEL_REASON_MAX_LENGTH),
    cancelledAt: z.iso.datetime({ offset: true }),
  }),
  keyOf: (data) => data.orderId,
});

export type OrderCancelledV1 = EnvelopeOf<typeof OrderCancelledV1>;
