import { z } from 'zod';
import { defineEvent, EnvelopeOf } from '../event-contract';
import { Topics } from '../topics';
import { plainText } from '../text';

/**
 * What an order line may be, wherever it travels: the HTTP intake enforces the same limits
 * (place-order.dto.ts takes them from here), and a consumer parks an event outside them as poison.
 */
export const ORDER_LINE_LIMITS = {
  maxLines: 100,
  maxQuantity: 10_000,
  skuPattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
} as const;

/**
 * The longest text each field of an order may hold, and the form of a country: the same for the
 * HTTP intake (place-order.dto.ts, list-orders.query.ts) and for the events that carry them.
 */
export const ORDER_TEXT_LIMITS = {
  customerIdLength: 100,
  line1Length: 200,
  cityLength: 100,
  postalCodeLength: 20,
  /** ISO 3166-1 alpha-2, upper case. */
  countryPattern: /^[A-Z]{2}$/,
} as const;

export const orderLineSchema = z.object({
  sku: z.string().regex(ORDER_LINE_LIMITS.skuPattern),
  quantity: z.number().int().positive().max(ORDER_LINE_LIMITS.maxQuantity),
});

/** An order's lines: one to maxLines, each SKU on one line only (quantities are never split). */
export const orderLinesSchema = z
  .array(orderLineSchema)
  .min(1)
  .max(ORDER_LINE_LIMITS.maxLines)
  .refine((lines) => new Set(lines.map((line) => line.sku)).size === lines.length, { message: 'each SKU may appear on one line only' });

export const shippingAddressSchema = z.object({
  line1: plainText(1, ORDER_TEXT_LIMITS.line1Length),
  city: plainText(1, ORDER_TEXT_LIMITS.cityLength),
  postalCode: plainText(1, ORDER_TEXT_LIMITS.postalCodeLength),
  country: z.string().regex(ORDER_TEXT_LIMITS.countryPattern),
});

/** An order was accepted and stored. Raised once per order, by the orders service. */
export const OrderPlacedV1 = defineEvent({
  type: 'order.placed',
  version: 1,
  topic: Topics.orderEvents,
  schema: z.object({
    orderId: z.uuid(),
    customerId: plainText(1, ORDER_TEXT_LIMITS.customerIdLength),
    items: orderLinesSchema,
    placedAt: z.iso.datetime({ offset: true }),
    /** Added in a backward-compatible way: absent on orders placed without an address. */
    shippingAddress: shippingAddressSchema.optional(),
  }),
  keyOf: (data) => data.orderId,
});

export type OrderPlacedV1 = EnvelopeOf<typeof OrderPlacedV1>;
