import { consumerEnvShape, outboxEnvShape, readEnv, serviceEnvShape } from '@relay/service-runtime';

/** Every variable the orders service reads (documented in .env.example). */
export const ordersEnvShape = {
  ...serviceEnvShape({ port: 3000, schema: 'orders', clientId: 'orders' }),
  ...consumerEnvShape({ group: 'orders' }),
  ...outboxEnvShape(),
};

/** Reads and validates the orders service's environment, once, at boot. */
export function readOrdersConfig(env: NodeJS.ProcessEnv = process.env) {
  return readEnv(ordersEnvShape, env);
}

export type OrdersConfig = ReturnType<typeof readOrdersConfig>;
