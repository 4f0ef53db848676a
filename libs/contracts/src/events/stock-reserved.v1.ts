import { z } from 'zod';
import { defineEvent, EnvelopeOf } from '../event-contract';
import { Topics } from '../topics';
import { orderLinesSchema } from './order-placed.v1';

/** Inventory reserved every line of an order (all or nothing). */
export const StockReservedV1 = defineEvent({
  type: 'stock.reserved',
  version: 1,
  topic: Topics.inventoryEvents,
  schema: z.object({
    orderId: z.uuid(),
    lines: orderLinesSchema,
  }),
  keyOf: (data) => data.orderId,
});
export type StockReservedV1 = EnvelopeOf<typeof StockReservedV1>;
