import { consumerEnvShape, readEnv, serviceEnvShape } from '@relay/service-runtime';

/** Every variable the delivery service reads, validated once at boot (see .env.example). */
export function readDeliveryConfig(env: NodeJS.ProcessEnv = process.env) {
  return readEnv(
    {
      ...serviceEnvShape({ port: 3002, schema: 'delivery', clientId: 'delivery' }),
      ...consumerEnvShape({ group: 'delivery' }),
    },
    env,
  );
}

export type DeliveryConfig = ReturnType<typeof readDeliveryConfig>;
