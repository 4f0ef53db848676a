import { ConfigError } from '../config/read-env';

/** Added to PORT when MANAGEMENT_PORT is not set: 3000 → 4000, and instances on 3000, 3010, … get 4000, 4010, …. */
export const MANAGEMENT_PORT_OFFSET = 1000;

/** Where a service's management port listens, from its validated environment. */
export function managementListenFrom(env: { PORT: number; MANAGEMENT_PORT?: number; MANAGEMENT_HOST: string }): { port: number; host: string } {
  const port = env.MANAGEMENT_PORT ?? env.PORT + MANAGEMENT_PORT_OFFSET;
  if (port > 65_535) throw new ConfigError([`MANAGEMENT_PORT: required when PORT is above ${65_535 - MANAGEMENT_PORT_OFFSET} (PORT + ${MANAGEMENT_PORT_OFFSET} is no port)`]);
  if (port === env.PORT) throw new ConfigError([`MANAGEMENT_PORT: must differ from PORT (both ${port}): metrics and docs must not be served on the public port`]);
  return { port, host: env.MANAGEMENT_HOST };
}
