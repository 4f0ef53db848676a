import { randomUUID } from 'node:crypto';
import { createEnvelope, DataOf } from '../event-contract';
import { OrderPlacedV1 } from '../events/order-placed.v1';

/** A valid order-placed event for tests; override any part of its data or envelope. */
export function anOrderPlacedV1(
  data: Partial<DataOf<typeof OrderPlacedV1>> = {},
  envelope: { eventId?: string; correlationId?: string; producer?: string } = {},
): OrderPlacedV1 {
  const orderId = data.orderId ?? randomUUID();
  return createEnvelope(OrderPlacedV1, {
    data: {
      orderId,
      customerId: 'customer-1',
      items: [{ sku: 'SKU-1', quantity: 1 }],
      placedAt: new Date().toISOString(),
      ...data,
    },
    producer: envelope.producer ?? OrderPlacedV1.producer,
    correlationId: envelope.correlationId ?? orderId,
    eventId: envelope.eventId,
  });
}
