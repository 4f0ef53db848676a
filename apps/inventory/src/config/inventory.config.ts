import { ServiceTopology } from '@relay/contracts';
import { consumerEnvShape, outboxEnvShape, serviceEnvShape } from '@relay/service-host';
import { readEnv } from '@relay/service-runtime';

/** Every variable the inventory service reads (documented in .env.example). */
export const inventoryEnvShape = {
  ...serviceEnvShape({ port: ServiceTopology.inventory.httpPort, schema: 'inventory', clientId: 'inventory' }),
  ...consumerEnvShape({ group: ServiceTopology.inventory.consumerGroup }),
  ...outboxEnvShape(),
};

/** Reads and validates the inventory service's environment, once, at boot. */
export function readInventoryConfig(env: NodeJS.ProcessEnv = process.env) {
  return readEnv(inventoryEnvShape, env);
}

export type InventoryConfig = ReturnType<typeof readInventoryConfig>;
