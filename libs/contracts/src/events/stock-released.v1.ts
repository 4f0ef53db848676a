import { z } from 'zod';
import { defineEvent, EnvelopeOf } from '../event-contract';
import { Topics } from '../topics';
import { orderLinesSchema } from './order-placed.v1';

/** Inventory gave back an order's reserved stock (the order was cancelled). */
export const StockReleasedV1 = defineEvent({
  type: 'stock.released',
  version: 1,
  topic: Topics.inventoryEvents,
  schema: z.object({
    orderId: z.uuid(),
    lines: orderLinesSchema,
  }),
  keyOf: (data) => data.orderId,
});
export type StockReleasedV1 = EnvelopeOf<typeof StockReleasedV1>;
