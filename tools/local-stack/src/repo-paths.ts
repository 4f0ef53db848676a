import path from 'node:path';
// Loaded by path, as kafka-acls.ts does: the Jest global setups that use this file resolve no path aliases.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { CONSOLE_HTTP_PORT, RELAY_SERVICES, RelayServiceName, ServiceTopology } from '../../../libs/contracts/src/topology';

/** The repository root, wherever it was cloned. */
export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Git-ignored folder for local state: Kafka and PostgreSQL data, logs. */
export const LOCAL_STATE_DIR = path.join(REPO_ROOT, '.relay');

/** The services and their default ports: the contracts' ServiceTopology. */
export const SERVICES: readonly ServiceName[] = RELAY_SERVICES;
export type ServiceName = RelayServiceName;

export const DEFAULT_PORTS = Object.fromEntries(SERVICES.map((service) => [service, ServiceTopology[service].httpPort])) as Record<ServiceName, number>;

/** The operations console (apps/console): not a service (no topic, no group), built and started with them. */
export const CONSOLE_APP = 'console';
export const CONSOLE_DEFAULT_PORT = CONSOLE_HTTP_PORT;

/** Every app the build produces and `npm start` runs. */
export type AppName = ServiceName | typeof CONSOLE_APP;

export function appEntryPoint(service: AppName): string {
  return path.join(REPO_ROOT, 'dist', 'apps', service, 'src', 'main.js');
}
