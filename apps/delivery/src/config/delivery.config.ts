import { ServiceTopology } from '@relay/contracts';
import { consumerEnvShape, outboxEnvShape, serviceEnvShape } from '@relay/service-host';
import { readEnv } from '@relay/service-runtime';

/** Every variable the delivery service reads (documented in .env.example). */
export const deliveryEnvShape = {
  ...serviceEnvShape({ port: ServiceTopology.delivery.httpPort, schema: 'delivery', clientId: 'delivery' }),
  ...consumerEnvShape({ group: ServiceTopology.delivery.consumerGroup }),
  ...outboxEnvShape(),
};

/** Reads and validates the delivery service's environment, once, at boot. */
export function readDeliveryConfig(env: NodeJS.ProcessEnv = process.env) {
  return readEnv(deliveryEnvShape, env);
}

export type DeliveryConfig = ReturnType<typeof readDeliveryConfig>;
