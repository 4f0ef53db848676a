import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
// Jest loads global setup outside its module registry, where path aliases do not resolve.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startInfrastructure } from '../../../../tools/local-stack/src/infrastructure';

interface ProjectConfig {
  rootDir: string;
}

/** What this setup reads of Jest's global config: the projects of the run and the CLI path patterns. */
interface GlobalConfig {
  projects?: unknown[];
  testPathPatterns?: { patterns?: readonly string[] };
}

declare global {
  var __relayInfrastructure: { stop(): Promise<void> } | undefined;
}

function integrationTestsIn(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const entryPath = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : integrationTestsIn(entryPath);
    return entry.name.endsWith('.int.spec.ts') ? [entryPath] : [];
  });
}

/**
 * Whether the run may include an integration test. Jest calls a global setup that several projects
 * share once per run, with the config of the project of one test only (the first it will run), so
 * every project of the run is looked at, and their integration tests filtered by the path patterns
 * given on the command line (`npx jest -c jest.config.cjs libs/orders apps/orders`).
 */
function runsIntegrationTests(globalConfig: GlobalConfig, projectConfig: ProjectConfig): boolean {
  const roots = new Set([projectConfig.rootDir, ...(globalConfig.projects ?? []).filter((project): project is string => typeof project === 'string')]);
  const files = [...roots].flatMap(integrationTestsIn);
  const patterns = (globalConfig.testPathPatterns?.patterns ?? []).map((pattern) => new RegExp(pattern, 'i'));
  return files.some((file) => patterns.length === 0 || patterns.some((pattern) => pattern.test(file)));
}

/**
 * Starts real Kafka and PostgreSQL for a Jest run that has integration tests and was not given
 * them (KAFKA_BROKERS / DATABASE_URL unset), e.g. `npx nx test messaging`. Test workers inherit
 * the variables set here. Under `npm test` the variables are set and nothing starts.
 */
export default async function globalSetup(globalConfig: GlobalConfig, projectConfig: ProjectConfig): Promise<void> {
  if (process.env.KAFKA_BROKERS && process.env.DATABASE_URL) return;
  if (!runsIntegrationTests(globalConfig, projectConfig)) return;
  const infrastructure = await startInfrastructure({ mode: 'ephemeral' });
  process.env.KAFKA_BROKERS = infrastructure.kafkaBrokers;
  process.env.DATABASE_URL = infrastructure.databaseUrl;
  // Integration tests make their own topics and groups: they log in as the broker's super user.
  Object.assign(process.env, infrastructure.kafkaEnv('admin'));
  globalThis.__relayInfrastructure = infrastructure;
}
