/**
 * `npm test`: every test, against real Kafka and PostgreSQL. Starts the infrastructure (unless
 * KAFKA_BROKERS / DATABASE_URL point elsewhere) while it type-checks and lints, builds the apps,
 * runs every unit and integration suite, then the black-box e2e suite, and prints one summary.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildApps } from './build-apps';
import { elapsed, say } from './console-output';
import { startInfrastructure } from './infrastructure';
import { runCommand, spawnManaged } from './process-utils';
import { requireSupportedNode } from './node-runtime';
import { REPO_ROOT } from './repo-paths';

interface JestSummary {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTests: number;
  success: boolean;
}

const bin = (name: string) => path.join(REPO_ROOT, 'node_modules', '.bin', name);
const resultsDir = path.join(REPO_ROOT, 'tmp', 'test-results');

/** Runs a command with its output streamed to ours; resolves with its exit code. */
async function stream(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const child = await spawnManaged({ command, args, cwd: REPO_ROOT, env, tailLines: 50 });
  child.onLine((line) => process.stdout.write(`${line}\n`));
  const exit = await child.exited;
  return exit.code ?? 1;
}

async function checkStep(name: string, command: string, args: string[]): Promise<boolean> {
  const started = Date.now();
  const result = await runCommand(command, args, { cwd: REPO_ROOT });
  if (result.code === 0) {
    say('relay', `${name}: ok (${elapsed(started)})`);
    return true;
  }
  say('error', `${name} failed:\n${result.stdout}${result.stderr}`);
  return false;
}

async function jest(name: string, config: string, env: NodeJS.ProcessEnv): Promise<JestSummary> {
  const started = Date.now();
  const outputFile = path.join(resultsDir, `${name}.json`);
  say('relay', `running ${name} tests…`);
  // --forceExit: a client left open by a failing test must not hang CI after the results are in.
  const code = await stream(bin('jest'), ['-c', config, '--ci', '--forceExit', '--json', `--outputFile=${outputFile}`], env);
  const summary = JSON.parse(await readFile(outputFile, 'utf8').catch(() => 'null')) as JestSummary | null;
  say('relay', `${name} tests finished in ${elapsed(started)} (exit ${code})`);
  if (!summary) return { numPassedTests: 0, numFailedTests: 1, numPendingTests: 0, numTotalTests: 1, success: false };
  return { ...summary, success: summary.success && code === 0 };
}

async function main(): Promise<number> {
  requireSupportedNode();
  const startedAt = Date.now();
  await mkdir(resultsDir, { recursive: true });
  say('relay', 'starting Kafka and PostgreSQL (in the background)…');
  const infrastructure = startInfrastructure({ mode: 'ephemeral', onProgress: (message) => say('relay', message) });
  infrastructure.catch(() => undefined);
  try {
    const checks = await Promise.all([
      checkStep('type-check', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']),
      // The module-boundary rule reads Nx's project graph; a fresh clone has none cached yet.
      checkStep('project graph', bin('nx'), ['show', 'projects']).then(
        (graphOk) => graphOk && checkStep('lint (module boundaries included)', bin('eslint'), ['apps', 'libs', 'tools', 'deploy', '--max-warnings=0']),
      ),
    ]);
    const buildStarted = Date.now();
    await buildApps();
    say('relay', `build: ok (${elapsed(buildStarted)})`);

    const infra = await infrastructure;
    for (const line of infra.started) say('relay', `started ${line}`);
    // Tests log in as `admin`, a super user: integration tests make their own topics and groups. The
    // e2e stacks give each service its own login (RELAY_KAFKA_SECURITY_DIR tells them where).
    // kafkajs' harmless negative timer warns in every test process too (see SERVICE_NODE_FLAGS).
    const nodeOptions = [process.env.NODE_OPTIONS, '--disable-warning=TimeoutNegativeWarning'].filter(Boolean).join(' ');
    const env = { ...process.env, NODE_OPTIONS: nodeOptions, KAFKA_BROKERS: infra.kafkaBrokers, DATABASE_URL: infra.databaseUrl, ...infra.kafkaEnv('admin') };
    const summaries = [await jest('unit-and-integration', 'jest.config.cjs', env), await jest('e2e', 'apps/e2e/jest.config.cjs', env)];

    const passed = summaries.reduce((sum, s) => sum + s.numPassedTests, 0);
    const failed = summaries.reduce((sum, s) => sum + s.numFailedTests, 0) + checks.filter((ok) => !ok).length;
    const skipped = summaries.reduce((sum, s) => sum + s.numPendingTests, 0);
    const ok = failed === 0 && summaries.every((s) => s.success) && checks.every(Boolean);
    say('relay', `all done in ${elapsed(startedAt)}`);
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
    return ok ? 0 : 1;
  } finally {
    await (await infrastructure.catch(() => undefined))?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say('error', error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
