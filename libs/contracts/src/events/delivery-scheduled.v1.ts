import { z } from 'zod';
import { defineEvent, EnvelopeOf } from '../event-contract';
import { Topics } from '../topics';

/** Delivery confirmed a slot for an order whose stock is reserved. */
export const DeliveryScheduledV1 = defineEvent({
  type: 'delivery.scheduled',
  version: 1,
  topic: Topics.deliveryEvents,
  schema: z.object({
    orderId: z.uuid(),
    deliveryDate: z.iso.date(),
    timeWindow: z.string().regex(/^\d{2}:\d{2}-\d{2}:\d{2}$/),
    route: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/),
  }),
  keyOf: (data) => data.orderId,
});
export type DeliveryScheduledV1 = EnvelopeOf<typeof DeliveryScheduledV1>;
