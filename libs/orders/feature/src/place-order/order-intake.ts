import { Inject, Injectable, Optional } from '@nestjs/common';
import { Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
import { EnvelopeOf, OrderPlacedV1 } from '@relay/contracts';
import { appendEventsToOutbox, outboxEntry } from '@relay/messaging';
import { isDatabaseUnavailable, startWorkSpan } from '@relay/service-runtime';
import { Order } from '@relay/orders/domain';
import { IdempotencyRecord, insertPlacedOrders } from '@relay/orders/data-access';
import { GroupCommit } from '@relay/util';

/** How POST /orders shares transactions (ORDERS_WRITE_BATCH_MAX, ORDERS_WRITE_QUEUE_MAX, ORDERS_WRITE_CONCURRENCY). */
export interface OrderIntakeOptions {
  /** Most orders written in one transaction. */
  writeBatchMax: number;
  /** Most orders waiting for the transaction in flight to end; beyond, POST /orders answers 503. */
  writeQueueMax: number;
  /** Intake transactions in flight at once. */
  writeConcurrency: number;
}

export const DEFAULT_ORDER_INTAKE_OPTIONS: OrderIntakeOptions = { writeBatchMax: 100, writeQueueMax: 1_000, writeConcurrency: 1 };

export const ORDER_INTAKE_OPTIONS = Symbol('ORDER_INTAKE_OPTIONS');

/** How many orders each intake transaction carried: tells whether ORDERS_WRITE_BATCH_MAX binds. */
const batchSizes = new Histogram({
  name: 'relay_orders_write_batch_size',
  help: 'Orders per POST /orders transaction (group commit), retries of a failed batch included',
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
});

/** One placed order to store, with its order-placed event and the trace of the request. */
export interface OrderToStore {
  order: Order;
  event: EnvelopeOf<typeof OrderPlacedV1>;
  /** The W3C trace context of the request that placed it: its event carries it on. */
  traceparent?: string;
  idempotency?: IdempotencyRecord;
}

/** `stored`: committed with its event. `key-taken`: another order holds its Idempotency-Key; nothing was stored. */
export type StoreOutcome = 'stored' | 'key-taken';

/**
 * Stores placed orders with their order-placed events (transactional outbox), sharing one
 * transaction among concurrent requests (group commit, see GroupCommit): per transaction, one
 * statement for the orders, their lines and history, one for the outbox and its NOTIFY, whatever
 * the number of orders. A batch that fails is retried order by order, so a bad order fails alone;
 * a database outage fails the whole batch at once (each request answers 503).
 */
@Injectable()
export class OrderIntake {
  private readonly commits: GroupCommit<OrderToStore, StoreOutcome>;
  readonly options: OrderIntakeOptions;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(ORDER_INTAKE_OPTIONS) options: OrderIntakeOptions | null = null,
  ) {
    this.options = options ?? DEFAULT_ORDER_INTAKE_OPTIONS;
    const { writeBatchMax, writeQueueMax, writeConcurrency } = this.options;
    this.commits = new GroupCommit((batch) => this.write(batch), { maxBatch: writeBatchMax, maxQueued: writeQueueMax, maxInFlight: writeConcurrency, isFatal: isDatabaseUnavailable });
  }

  /**
   * Resolves once the transaction holding this order has committed; rejects with
   * WriteQueueFullError, without waiting, when too many orders are already waiting.
   */
  store(entry: OrderToStore): Promise<StoreOutcome> {
    return this.commits.submit(entry);
  }

  private async write(batch: readonly OrderToStore[]): Promise<StoreOutcome[]> {
    batchSizes.observe(batch.length);
    // One span per transaction, linked to each request it carries (a request's span is its parent
    // only when it is alone: a shared transaction belongs to no single trace).
    const span = startWorkSpan({
      name: 'orders intake transaction',
      kind: 'internal',
      parent: batch.length === 1 ? batch[0].traceparent : undefined,
      attributes: { 'relay.orders_in_transaction': batch.length },
      links: batch.length === 1 ? [] : batch.map((entry) => entry.traceparent),
    });
    try {
      const outcomes = await this.dataSource.transaction(async (manager) => {
        const stored = await insertPlacedOrders(manager, batch);
        // Only orders actually stored get their event: a replayed key raises nothing new.
        await appendEventsToOutbox(
          manager,
          batch.filter((entry) => stored.has(entry.order.id)).map((entry) => outboxEntry(OrderPlacedV1, entry.event, entry.traceparent)),
        );
        return batch.map((entry): StoreOutcome => (stored.has(entry.order.id) ? 'stored' : 'key-taken'));
      });
      span.end();
      return outcomes;
    } catch (error) {
      span.end(error);
      throw error;
    }
  }
}
