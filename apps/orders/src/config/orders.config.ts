import { ServiceTopology } from '@relay/contracts';
import { consumerEnvShape, outboxEnvShape, serviceEnvShape } from '@relay/service-host';
import { envFields, readEnv } from '@relay/service-runtime';
import { DEFAULT_ORDER_INTAKE_OPTIONS, type OrderIntakeOptions } from '@relay/orders/feature';

/** Every variable the orders service reads (documented in .env.example). */
export const ordersEnvShape = {
  ...serviceEnvShape({ port: ServiceTopology.orders.httpPort, schema: 'orders', clientId: 'orders' }),
  ...consumerEnvShape({ group: ServiceTopology.orders.consumerGroup }),
  ...outboxEnvShape(),
  // The intake's defaults are its own (DEFAULT_ORDER_INTAKE_OPTIONS), so an OrdersModule built
  // without these settings (a test) gets the same.
  /** Most orders POST /orders writes in one transaction (group commit). */
  ORDERS_WRITE_BATCH_MAX: envFields.positiveInt(DEFAULT_ORDER_INTAKE_OPTIONS.writeBatchMax, 1_000),
  /** Most orders waiting for the transaction in flight; beyond, POST /orders answers 503 with Retry-After. */
  ORDERS_WRITE_QUEUE_MAX: envFields.positiveInt(DEFAULT_ORDER_INTAKE_OPTIONS.writeQueueMax, 100_000),
  /** Intake transactions in flight at once (each takes a pooled connection). */
  ORDERS_WRITE_CONCURRENCY: envFields.positiveInt(DEFAULT_ORDER_INTAKE_OPTIONS.writeConcurrency, 100),
};

/** Reads and validates the orders service's environment, once, at boot. */
export function readOrdersConfig(env: NodeJS.ProcessEnv = process.env) {
  return readEnv(ordersEnvShape, env);
}

export type OrdersConfig = ReturnType<typeof readOrdersConfig>;

export function orderIntakeOptionsFrom(config: Pick<OrdersConfig, 'ORDERS_WRITE_BATCH_MAX' | 'ORDERS_WRITE_QUEUE_MAX' | 'ORDERS_WRITE_CONCURRENCY'>): OrderIntakeOptions {
  return { writeBatchMax: config.ORDERS_WRITE_BATCH_MAX, writeQueueMax: config.ORDERS_WRITE_QUEUE_MAX, writeConcurrency: config.ORDERS_WRITE_CONCURRENCY };
}
