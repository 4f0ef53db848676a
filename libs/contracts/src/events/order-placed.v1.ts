import { z } from 'zod';
import { defineEvent, EnvelopeOf } from '../event-contract';
import { Topics } from '../topics';

export const orderLineSchema = z.object({
  sku: z.string().min(1).max(64),
  quantity: z.number().int().positive(),
});

export const shippingAddressSchema = z.object({
  line1: z.string().min(1).max(200),
  city: z.string().min(1).max(100),
  postalCode: z.string().min(1).max(20),
  country: z.string().length(2),
});

/** An order was accepted and stored. Raised once per order, by the orders service. */
export const OrderPlacedV1 = defineEvent({
  type: 'order.placed',
  version: 1,
  topic: Topics.orderEvents,
  schema: z.object({
    orderId: z.uuid(),
    customerId: z.string().min(1).max(100),
    items: z.array(orderLineSchema).min(1),
    placedAt: z.iso.datetime({ offset: true }),
    /** Added in a backward-compatible way: absent on orders placed without an address. */
    shippingAddress: shippingAddressSchema.optional(),
  }),
  keyOf: (data) => data.orderId,
});

export type OrderPlacedV1 = EnvelopeOf<typeof OrderPlacedV1>;
