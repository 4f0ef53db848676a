import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createEnvelope, OrderPlacedV1, Topics, TopicProducers, uuidv7 } from '@relay/contracts';
import { currentWorkContext } from '@relay/service-runtime';
import { Order, PlaceOrderCommand, placeOrder, OrderRejection } from '@relay/orders/domain';
import { findOrderPlacedWithKey } from '@relay/orders/data-access';
import { WriteQueueFullError } from '@relay/util';
import { OrderIntake, StoreOutcome } from './order-intake';

/** What orders' events carry as their producer: the one its contracts name (consumers check it). */
export const ORDERS_PRODUCER = TopicProducers[Topics.orderEvents];

/** Seconds an overloaded intake asks clients to wait before retrying. */
export const OVERLOADED_RETRY_AFTER_SECONDS = 1;

export type PlaceOrderOutcome =
  | { kind: 'created'; order: Order }
  | { kind: 'replayed'; order: Order }
  | { kind: 'rejected'; rejection: OrderRejection }
  | { kind: 'key-reused' }
  /** Too many orders are waiting to be stored: nothing was stored, retry after `retryAfterSeconds`. */
  | { kind: 'overloaded'; retryAfterSeconds: number };

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

/**
 * Stores a new order and its order-placed event in one transaction (transactional outbox): the
 * event exists if and only if the order does. Publishing is the relay's job, never the request's,
 * so a request succeeds while Kafka is down and its event follows once Kafka is back. Concurrent
 * requests share transactions (OrderIntake); each is answered once its own order has committed.
 *
 * With an idempotency key, a retried request returns the order the first one created; the same
 * key with a different body is refused. The key is claimed by the insert itself (ON CONFLICT DO
 * NOTHING), so racing requests with one key create one order and the others answer as retries.
 */
@Injectable()
export class PlaceOrderUseCase {
  constructor(
    private readonly dataSource: DataSource,
    private readonly intake: OrderIntake,
  ) {}

  async execute(command: PlaceOrderCommand, idempotencyKey?: string): Promise<PlaceOrderOutcome> {
    const idempotency = idempotencyKey ? { key: idempotencyKey, requestHash: hashOf(command) } : undefined;
    const result = placeOrder(command, { id: uuidv7(), now: new Date() });
    if (!result.ok) {
      // A key already used answers for its order (or is refused), whatever this body's problems.
      const earlier = idempotency ? await this.replay(idempotency.key, idempotency.requestHash) : undefined;
      return earlier ?? { kind: 'rejected', rejection: result.rejection };
    }
    const { order } = result;
    const context = currentWorkContext();
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
      correlationId: context?.correlationId ?? order.id,
      occurredAt: order.createdAt,
    });
    let outcome: StoreOutcome;
    try {
      // The trace is taken here: the transaction may be run from another request's context.
      outcome = await this.intake.store({ order, event, traceparent: context?.traceparent, idempotency });
    } catch (error) {
      if (error instanceof WriteQueueFullError) return { kind: 'overloaded', retryAfterSeconds: OVERLOADED_RETRY_AFTER_SECONDS };
      throw error;
    }
    if (outcome === 'stored') return { kind: 'created', order };
    // The key was taken by a committed order (an earlier request, or a racing one): answer as a retry.
    const earlier = idempotency ? await this.replay(idempotency.key, idempotency.requestHash) : undefined;
    if (!earlier) throw new Error(`order ${order.id} was not stored and no order holds its Idempotency-Key`);
    return earlier;
  }

  private async replay(key: string, requestHash: string): Promise<PlaceOrderOutcome | undefined> {
    const earlier = await findOrderPlacedWithKey(this.dataSource.manager, key);
    if (!earlier) return undefined;
    return earlier.requestHash === requestHash ? { kind: 'replayed', order: earlier.order } : { kind: 'key-reused' };
  }
}
