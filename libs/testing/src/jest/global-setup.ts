import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
// Jest loads global setup outside its module registry, where path aliases do not resolve.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startInfrastructure } from '../../../../tools/local-stack/src/infrastructure';

interface ProjectConfig {
  rootDir: string;
}

declare global {
  var __relayInfrastructure: { stop(): Promise<void> } | undefined;
}

function hasIntegrationTests(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { withFileTypes: true }).some((entry) =>
    entry.isDirectory() ? entry.name !== 'node_modules' && hasIntegrationTests(path.join(dir, entry.name)) : entry.name.endsWith('.int.spec.ts'),
  );
}

/**
 * Starts real Kafka and PostgreSQL for a Jest run that has integration tests and was not given
 * them (KAFKA_BROKERS / DATABASE_URL unset), e.g. `npx nx test messaging`. Test workers inherit
 * the variables set here. Under `npm test` the variables are set and nothing starts.
 */
export default async function globalSetup(_globalConfig: unknown, projectConfig: ProjectConfig): Promise<void> {
  if (process.env.KAFKA_BROKERS && process.env.DATABASE_URL) return;
  if (!hasIntegrationTests(projectConfig.rootDir)) return;
  const infrastructure = await startInfrastructure({ mode: 'ephemeral' });
  process.env.KAFKA_BROKERS = infrastructure.kafkaBrokers;
  process.env.DATABASE_URL = infrastructure.databaseUrl;
  globalThis.__relayInfrastructure = infrastructure;
}
