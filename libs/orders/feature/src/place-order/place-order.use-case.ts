import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource, QueryFailedError } from 'typeorm';
import { createEnvelope, OrderPlacedV1 } from '@relay/contracts';
import { appendToOutbox } from '@relay/messaging';
import { currentWorkContext } from '@relay/service-runtime';
import { Order, PlaceOrderCommand, placeOrder, OrderRejection } from '@relay/orders/domain';
import { findOrderByIdempotencyKey, insertOrder } from '@relay/orders/data-access';

export const ORDERS_PRODUCER = 'orders';

export type PlaceOrderOutcome =
  | { kind: 'created'; order: Order }
  | { kind: 'replayed'; order: Order }
  | { kind: 'rejected'; rejection: OrderRejection }
  | { kind: 'key-reused' };

/** Same body, same hash, whatever the key order or spacing of the JSON the client sent. */
function hashOf(command: PlaceOrderCommand): string {
  const canonical = JSON.stringify({
    customerId: command.customerId,
    items: command.items.map((line) => [line.sku, line.quantity]),
    shippingAddress: command.shippingAddress
      ? [command.shippingAddress.line1, command.shippingAddress.city, command.shippingAddress.postalCode, command.shippingAddress.country]
      : null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

const isUniqueViolation = (error: unknown) => error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505';

/**
 * Stores a new order and its order-placed event in one transaction (transactional outbox): the
 * event exists if and only if the order does. Publishing is the relay's job, never the request's,
 * so a request succeeds while Kafka is down and its event follows once Kafka is back.
 *
 * With an idempotency key, a retried request returns the order the first one created; the same
 * key with a different body is refused.
 */
@Injectable()
export class PlaceOrderUseCase {
  constructor(private readonly dataSource: DataSource) {}

  async execute(command: PlaceOrderCommand, idempotencyKey?: string): Promise<PlaceOrderOutcome> {
    const requestHash = hashOf(command);
    if (idempotencyKey) {
      const earlier = await this.replay(idempotencyKey, requestHash);
      if (earlier) return earlier;
    }
    const result = placeOrder(command, { id: randomUUID(), now: new Date() });
    if (!result.ok) return { kind: 'rejected', rejection: result.rejection };
    const { order } = result;
    const event = createEnvelope(OrderPlacedV1, {
      data: {
        orderId: order.id,
        customerId: order.customerId,
        items: order.items,
        placedAt: order.createdAt.toISOString(),
        ...(order.shippingAddress ? { shippingAddress: order.shippingAddress } : {}),
      },
      producer: ORDERS_PRODUCER,
      // The caller's X-Correlation-Id (or the one made for this request) follows the order's whole story.
      correlationId: currentWorkContext()?.correlationId ?? order.id,
      occurredAt: order.createdAt,
    });
    try {
      await this.dataSource.transaction(async (manager) => {
        await insertOrder(manager, order, idempotencyKey ? { key: idempotencyKey, requestHash } : undefined);
        await appendToOutbox(manager, OrderPlacedV1, event);
      });
    } catch (error) {
      // Two requests with one key at once: the first commits, the second answers as a retry.
      const earlier = idempotencyKey && isUniqueViolation(error) ? await this.replay(idempotencyKey, requestHash) : undefined;
      if (earlier) return earlier;
      throw error;
    }
    return { kind: 'created', order };
  }

  private async replay(key: string, requestHash: string): Promise<PlaceOrderOutcome | undefined> {
    const earlier = await findOrderByIdempotencyKey(this.dataSource.manager, key);
    if (!earlier) return undefined;
    return earlier.requestHash === requestHash ? { kind: 'replayed', order: earlier.order } : { kind: 'key-reused' };
  }
}
