import { existsSync } from 'node:fs';
import { ensureChromium } from './chromium';
import { waitForGroupCoordinator } from './group-coordinator';
import { loadBuildApps, loadLocalStack } from './local-stack-loader';

declare global {
  var __relayE2eInfrastructure: { stop(): Promise<void> } | undefined;
}

const log = (message: string): void => {
  process.stderr.write(`[e2e] ${message}\n`);
};

/**
 * Gets real Kafka and PostgreSQL and the built apps ready for the e2e suite.
 *
 * - KAFKA_BROKERS and DATABASE_URL set (`npm test`, CI): use those servers; build the apps only if a
 *   `dist/apps/<service>/src/main.js` is missing (`npm test` has just built them).
 * - Either unset (`npx jest -c apps/e2e/jest.config.cjs`): start what is missing (ephemeral Kafka and/or
 *   embedded PostgreSQL in temp dirs), set the variables for the test files, and build the apps (an
 *   unchanged tree is an Nx cache hit). Both at once. globalTeardown stops what was started here.
 * - Either way, Chromium for the console's browser tests (installed from Debian when missing and root).
 */
export default async function globalSetup(): Promise<void> {
  await ensureChromium(log);
  const localStack = await loadLocalStack();
  const buildApps = await loadBuildApps();
  const missingBuilds = ([...localStack.SERVICES, localStack.CONSOLE_APP] as const).filter((app) => !existsSync(localStack.appEntryPoint(app)));

  if (process.env.KAFKA_BROKERS && process.env.DATABASE_URL) {
    if (missingBuilds.length > 0) {
      log(`building the apps (${missingBuilds.join(', ')} not built)…`);
      await buildApps();
    }
    await waitForGroupCoordinator(process.env.KAFKA_BROKERS, localStack.kafkaClientSecurityFromEnv(process.env));
    return;
  }

  const started = Date.now();
  log('KAFKA_BROKERS / DATABASE_URL not set: starting the missing infrastructure and building the apps…');
  const infrastructure = localStack.startInfrastructure({ mode: 'ephemeral', onProgress: (message) => log(message) });
  // Never leave a rejected promise unobserved while the build runs.
  infrastructure.catch(() => undefined);
  try {
    await buildApps();
  } catch (error) {
    await (await infrastructure.catch(() => undefined))?.stop();
    throw error;
  }
  const infra = await infrastructure;
  for (const line of infra.started) log(`started ${line}`);
  try {
    await waitForGroupCoordinator(infra.kafkaBrokers, localStack.kafkaClientSecurityFromEnv(infra.kafkaEnv('admin')));
  } catch (error) {
    await infra.stop();
    throw error;
  }
  globalThis.__relayE2eInfrastructure = infra;
  process.env.KAFKA_BROKERS = infra.kafkaBrokers;
  process.env.DATABASE_URL = infra.databaseUrl;
  // The suite's own clients log in as `admin`; each stack's services as themselves (stack.ts).
  Object.assign(process.env, infra.kafkaEnv('admin'));
  log(`ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
