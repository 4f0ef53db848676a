import { consumerEnvShape, readEnv, serviceEnvShape } from '@relay/service-runtime';

/** Every variable the inventory service reads, validated once at boot (see .env.example). */
export function readInventoryConfig(env: NodeJS.ProcessEnv = process.env) {
  return readEnv(
    {
      ...serviceEnvShape({ port: 3001, schema: 'inventory', clientId: 'inventory' }),
      ...consumerEnvShape({ group: 'inventory' }),
    },
    env,
  );
}

export type InventoryConfig = ReturnType<typeof readInventoryConfig>;
