import { envFields, readEnv, serviceEnvShape } from '@relay/service-runtime';

/** Every variable the orders service reads, validated once at boot (see .env.example). */
export function readOrdersConfig(env: NodeJS.ProcessEnv = process.env) {
  return readEnv(
    {
      ...serviceEnvShape({ port: 3000, schema: 'orders', clientId: 'orders' }),
      OUTBOX_BATCH_SIZE: envFields.positiveInt(500, 10_000),
      OUTBOX_POLL_INTERVAL_MS: envFields.positiveInt(1_000, 60_000),
    },
    env,
  );
}

export type OrdersConfig = ReturnType<typeof readOrdersConfig>;
