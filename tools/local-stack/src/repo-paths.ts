import path from 'node:path';

/** The repository root, wherever it was cloned. */
export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Git-ignored folder for local state: Kafka and PostgreSQL data, logs. */
export const LOCAL_STATE_DIR = path.join(REPO_ROOT, '.relay');

export const SERVICES = ['orders', 'inventory', 'delivery'] as const;
export type ServiceName = (typeof SERVICES)[number];

export const DEFAULT_PORTS: Record<ServiceName, number> = { orders: 3000, inventory: 3001, delivery: 3002 };

/** The operations console (apps/console): not a service (no topic, no group), built and started with them. */
export const CONSOLE_APP = 'console';
export const CONSOLE_DEFAULT_PORT = 3003;

/** Every app the build produces and `npm start` runs. */
export type AppName = ServiceName | typeof CONSOLE_APP;

export function appEntryPoint(service: AppName): string {
  return path.join(REPO_ROOT, 'dist', 'apps', service, 'src', 'main.js');
}
