import { z } from 'zod';
import { defineEvent, EnvelopeOf } from '../event-contract';
import { Topics } from '../topics';
import { ORDER_LINE_LIMITS, orderLineSchema } from './order-placed.v1';

/** The first line that could not be reserved: its SKU and quantity within the order line limits. */
export const stockRejectionSchema = z.discriminatedUnion('code', [
  z.object({ code: z.literal('INVENTORY.UNKNOWN_SKU'), sku: orderLineSchema.shape.sku }),
  z.object({
    code: z.literal('INVENTORY.INSUFFICIENT_STOCK'),
    sku: orderLineSchema.shape.sku,
    requested: z.number().int().positive().max(ORDER_LINE_LIMITS.maxQuantity),
    available: z.number().int().nonnegative(),
  }),
]);

/** Inventory could not reserve an order: a business outcome, not an error. Nothing was taken. */
export const StockRejectedV1 = defineEvent({
  type: 'stock.rejected',
  version: 1,
  topic: Topics.inventoryEvents,
  schema: z.object({
    orderId: z.uuid(),
    reason: stockRejectionSchema,
  }),
  keyOf: (data) => data.orderId,
});
export type StockRejectedV1 = EnvelopeOf<typeof StockRejectedV1>;
