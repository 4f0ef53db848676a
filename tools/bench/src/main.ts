/**
 * `npm run bench`: measures Relay on this machine and writes bench-results/<timestamp>/. See USAGE in
 * options.ts and the phase modules for what is measured and how.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Topics } from '@relay/contracts';
import { REPO_ROOT, requireSupportedNode, runCommand, SERVICE_NODE_FLAGS } from '@relay/local-stack';
import { renderChart } from './chart';
import { produceOrderEvents } from './events';
import { runLoad } from './load/run-load';
import { ProcessSampler } from './process-sampler';
import { BenchPlan, externalServersRefusal, parseBenchArgs, PhaseName, StackRun, stackRuns, USAGE, UsageError } from './options';
import { runBaselines } from './phases/baselines';
import { runCatchUp } from './phases/catch-up';
import { runEndToEnd } from './phases/end-to-end';
import { runPeer } from './phases/peer';
import { runRestSweep, warmUp } from './phases/rest-sweep';
import { runSqlCensus } from './phases/sql-census';
import { formatJwtVerify, runJwtVerify } from './phases/jwt-verify';
import { Pipeline, pipelineFlow, startPipeline, waitForDrain } from './pipeline';
import { ProfileWindows } from './profiling';
import { progress } from './progress';
import { renderReport } from './report';
import { BenchResults, checkTargets, computeClientComparison, computeCpuCosts, computeRatios, computeSecurityCost, MachineFacts, SettingResults, WorkDone } from './results';
import { BenchStack, CONSUMED_TOPICS } from './stack';
import { BENCH_SKUS, useSkuCount } from './events';

const PHASE_TITLES: Record<PhaseName, string> = {
  rest: 'REST sweep',
  e2e: 'end-to-end',
  peer: 'peer (naive NestJS)',
  catchup: 'catch-up',
  baselines: 'baselines',
  memory: 'memory under load',
  census: 'SQL census',
  jwt: 'JWT verification microbench',
};

async function machineFacts(): Promise<MachineFacts> {
  const run = async (command: string, args: string[]) => (await runCommand(command, args).catch(() => ({ stdout: '' }))).stdout.trim();
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  return {
    nproc: Number(await run('nproc', [])) || os.availableParallelism(),
    cpuModel,
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    freeH: await run('free', ['-h']),
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
    loadAverageAtEnd: [],
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

async function gitFacts(): Promise<{ commit: string; dirty: boolean }> {
  const commit = await runCommand('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT }).catch(() => undefined);
  const status = await runCommand('git', ['status', '--porcelain'], { cwd: REPO_ROOT }).catch(() => undefined);
  return { commit: commit?.stdout.trim() || 'unknown', dirty: (status?.stdout.trim() ?? '') !== '' };
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Runs a phase; a failure is recorded and the bench goes on with the next phase. */
async function phase<T>(errors: BenchResults['errors'], name: string, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress.say(`${name} FAILED: ${message.split('\n')[0]}`);
    if (error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    errors.push({ phase: name, message });
    return undefined;
  }
}

/** Profiles the pipeline's profiled services during `work`; `prefix` keeps the settings' profiles apart. */
async function withProfiles<T>(profiles: ProfileWindows, pipeline: Pipeline | undefined, phaseName: string, prefix: string, work: () => Promise<T>): Promise<T> {
  const profiled = pipeline ? Object.values(pipeline).filter((handle) => handle.profiled) : [];
  for (const handle of profiled) profiles.start(handle.pid, handle.label, `${prefix}${phaseName}`);
  try {
    return await work();
  } finally {
    // Writing the profiles costs the services CPU that is not the phase's.
    if (profiled.length > 0) profiles.sampler?.setPhase(`${phaseName}-profile-write`);
    for (const handle of profiled) await profiles.stop(handle.pid);
  }
}

/** Whether a phase that drives the services with orders runs (they then need a pipeline). */
function runsLoadPhase(plan: BenchPlan): boolean {
  return plan.phases.some((p) => p === 'rest' || p === 'e2e' || p === 'census');
}

/** What every stack of the run shares: the plan, the run's folder, and the recorders. */
interface RunContext {
  plan: BenchPlan;
  runId: string;
  resultsDir: string;
  memory: ProcessSampler;
  profiles: ProfileWindows;
  /** Units of work per (prefixed) phase, for the CPU cost per order or event. */
  work: WorkDone[];
  errors: BenchResults['errors'];
  /** Phases that show as numbered steps (memory alone only when no load phase ran). */
  visible: PhaseName[];
  /** The stack now running, for the signal handler to stop. */
  onStack: (stack: BenchStack | undefined) => void;
}

interface SettingRun {
  measured: SettingResults;
  versions: { kafka: string; postgres: string };
  external: boolean;
  databaseByPhase: BenchResults['databaseByPhase'];
}

/**
 * Starts one stack of the run (a security setting, a Kafka client), runs its phases on it, and
 * stops it. Its CPU, memory and database figures go to the shared recorders under its phase names
 * (`insecure:rest`, `client:platformatic:rest`), its failures to the run's errors under the same
 * names. The one home of "run the phases on another stack" for --insecure and --client.
 */
async function runStack(stackRun: StackRun, context: RunContext): Promise<SettingRun> {
  const { memory, profiles, work } = context;
  const plan: BenchPlan = { ...context.plan, phases: stackRun.phases };
  const visible = context.visible.filter((p) => stackRun.phases.includes(p));
  const { prefix } = stackRun;
  const errors = context.errors;
  const named = (name: string) => `${prefix}${name}`;
  memory.setPhasePrefix(prefix);
  memory.setPhase('stack-startup');
  const stack = await BenchStack.start({
    runId: context.runId,
    resultsDir: context.resultsDir,
    sampler: memory,
    profile: plan.profile,
    serviceEnv: plan.serviceEnv,
    nodeFlags: plan.nodeFlags,
    kafkaNodes: plan.kafkaNodes,
    security: stackRun.security,
    kafkaClient: stackRun.kafkaClient,
    labelSuffix: prefix === '' ? '' : stackRun.tag,
  });
  context.onStack(stack);
  const versions = await stack.serverVersions();
  const measured: SettingResults = {
    infrastructure: stack.infrastructure.started.length > 0 ? stack.infrastructure.started : ['external Kafka and PostgreSQL (KAFKA_BROKERS / DATABASE_URL)'],
  };
  const throwAwayTopics = [stack.groupFor('producer-perf'), stack.groupFor('kafkajs-producer'), stack.groupFor('platformatic-producer')];

  try {
    let pipeline: Pipeline | undefined;
    const needsPipeline = runsLoadPhase(plan) || (plan.phases.includes('memory') && !plan.phases.includes('catchup'));
    if (needsPipeline) {
      memory.setPhase('pipeline-startup');
      pipeline = await phase(errors, named('startup'), () => startPipeline(stack));
    }

    if (pipeline && plan.phases.includes('rest')) {
      progress.phase(PHASE_TITLES.rest);
      memory.setPhase('rest-warm-up');
      await warmUp(pipelineFlow(stack, pipeline), plan);
      memory.setPhase('rest');
      measured.rest = await phase(errors, named('rest'), () =>
        withProfiles(profiles, pipeline, 'rest', prefix, async () => {
          const sweep = await runRestSweep(stack, pipeline!, plan);
          // Still in the REST phase: its backlog is its own cost, not the next phase's.
          await waitForDrain(stack, pipeline!, plan.drainTimeoutSeconds, 'final drain');
          return sweep;
        }),
      );
      work.push({ phase: named('rest'), unit: 'order', units: (measured.rest?.steps ?? []).reduce((sum, step) => sum + step.ok201, 0) });
    }
    if (pipeline && plan.phases.includes('e2e')) {
      progress.phase(PHASE_TITLES.e2e);
      memory.setPhase('e2e');
      measured.endToEnd = await phase(errors, named('e2e'), () => withProfiles(profiles, pipeline, 'e2e', prefix, () => runEndToEnd(stack, pipeline!, plan, measured.rest?.saturation)));
      const e2e = measured.endToEnd;
      work.push({ phase: named('e2e'), unit: 'order', units: [...(e2e?.latencyRuns ?? []), ...(e2e?.sustained.trials ?? [])].reduce((sum, r) => sum + r.http.ok201, 0) });
    }
    if (pipeline && plan.phases.includes('census')) {
      progress.phase(PHASE_TITLES.census);
      memory.setPhase('census');
      measured.sqlCensus = await phase(errors, named('census'), () => runSqlCensus(stack, pipeline!, plan));
    }
    if (pipeline && visible.includes('memory')) {
      progress.phase(PHASE_TITLES.memory);
      memory.setPhase('memory');
      const { rate, seconds } = plan.memoryOnlyLoad;
      const load = await phase(errors, named('memory'), () =>
        withProfiles(profiles, pipeline, 'memory', prefix, async () => {
          const result = await progress.countdown(
            `${rate}/s`,
            seconds * 1000,
            runLoad({ url: pipeline!.orders.url, path: '/orders', rate, durationMs: seconds * 1000, maxSockets: plan.maxSockets, skus: BENCH_SKUS, recordIds: false, requestTimeoutMs: plan.requestTimeoutMs, drainTimeoutMs: plan.loadDrainTimeoutMs }),
          );
          await waitForDrain(stack, pipeline!, plan.drainTimeoutSeconds, 'drain');
          return result;
        }),
      );
      work.push({ phase: named('memory'), unit: 'order', units: load?.ok201 ?? 0 });
    }
    if (pipeline) {
      memory.setPhase('teardown');
      progress.say('stopping orders, inventory and delivery…');
      await stack.stopAllServices();
    }

    // After Relay's services have stopped: the peer has the machine, Kafka and PostgreSQL to itself.
    if (plan.phases.includes('peer')) {
      progress.phase(PHASE_TITLES.peer);
      const relaySustained = measured.endToEnd?.sustained.highestSustainedRate ?? undefined;
      measured.peer = await phase(errors, named('peer'), () => runPeer(stack, plan, relaySustained));
      work.push({ phase: named('peer'), unit: 'order', units: (measured.peer?.sustained.trials ?? []).reduce((sum, trial) => sum + trial.http.ok201, 0) });
    }

    if (plan.phases.includes('catchup')) {
      progress.phase(PHASE_TITLES.catchup);
      memory.setPhase('catchup');
      measured.catchUp = await phase(errors, named('catchup'), () => runCatchUp(stack, plan, profiles));
      if (measured.catchUp) {
        const c = measured.catchUp;
        const processed = (r: typeof c.single) => (r.completed ? r.events : Math.round(r.eventsPerSecond * r.processingSeconds));
        work.push({ phase: named('catchup-1x'), unit: 'event', units: processed(c.single) }, { phase: named('catchup-3x'), unit: 'event', units: processed(c.triple) });
      }
    }

    if (plan.phases.includes('baselines')) {
      progress.phase(PHASE_TITLES.baselines);
      memory.setPhase('baselines');
      measured.baselines = await phase(errors, named('baselines'), async () => {
        const ordersSchema = stack.schemaFor('orders');
        if (!(await stack.schemaExists(ordersSchema))) {
          progress.step('setup', 'starting orders once to create its tables');
          await stack.positionGroupAtEnd(stack.groupFor('orders'), CONSUMED_TOPICS.orders);
          await stack.startService({ label: 'orders-tables', service: 'orders', schema: ordersSchema, group: stack.groupFor('orders') });
          await stack.stopService('orders-tables');
        }
        await stack.ensureTopic(Topics.orderEvents);
        const onTopic = await stack.topicSize(Topics.orderEvents);
        if (onTopic < plan.catchupEvents) {
          progress.step('setup', `putting ${plan.catchupEvents - onTopic} more events on ${Topics.orderEvents} for the consumer baselines`);
          await produceOrderEvents(stack.kafka, Topics.orderEvents, plan.catchupEvents - onTopic);
        }
        return runBaselines(stack, plan, ordersSchema);
      });
    }

    // Every service has stopped: what the phases left in PostgreSQL.
    memory.setPhase('table-census');
    measured.postgresAfterRun = await phase(errors, named('tables'), async () => ({ tables: await stack.tableRowCounts(), slots: await stack.outboxSlots() }));
  } finally {
    await profiles.stopAll().catch(() => undefined);
    if (stack.external && !plan.keepData) await stack.cleanUpExternal(throwAwayTopics).catch((error: unknown) => progress.say(`clean-up: ${(error as Error).message}`));
    progress.say(`stopping the ${stackRun.tag || stackRun.security} stack's services and infrastructure…`);
    memory.setPhase('stack-stop');
    await stack.stop().catch((error: unknown) => progress.say(`stop: ${(error as Error).message}`));
    context.onStack(undefined);
  }
  return { measured, versions, external: stack.external, databaseByPhase: stack.databaseActivity() };
}

async function run(plan: BenchPlan, argv: string[]): Promise<number> {
  const startedAt = new Date();
  const stamp = timestamp(startedAt);
  const runId = `${stamp.replace('-', '')}${randomBytes(2).toString('hex')}`;
  const resultsDir = path.resolve(plan.outputDir ?? path.join(REPO_ROOT, 'bench-results', stamp));
  await mkdir(resultsDir, { recursive: true });
  const memory = new ProcessSampler();
  memory.start();
  const work: WorkDone[] = [];
  const profiles = new ProfileWindows(path.join(resultsDir, 'profiles'), memory);
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  const machine = await machineFacts();
  const results: BenchResults = {
    meta: {
      runId,
      command,
      startedAt: startedAt.toISOString(),
      finishedAt: '',
      durationSeconds: 0,
      infrastructure: [],
      kafkaVersion: '',
      postgresVersion: '',
      git: await gitFacts(),
      machine,
      serviceNodeFlags: [...(plan.nodeFlags ?? SERVICE_NODE_FLAGS)],
      notes: [
        'Kafka, PostgreSQL, the three services, the load generator and the bench share this machine; anything else running on it (other test runs) makes the figures noisy.',
        'End-to-end "processed" time = the COMMIT of the consumer transaction that wrote the effect, with track_commit_timestamp on in the bench\'s PostgreSQL: pg_xact_commit_timestamp of the xmin of the reservation (inventory) and of the SCHEDULED delivery (delivery\'s transaction that scheduled it, the row\'s last write); delivery\'s first transaction (whose row that later write replaces) by the xid that inserted the row, read from the load\'s WAL through a publication and logical slot the bench creates per load and drops after (first-commits.ts). "→ both" = the later of inventory\'s and delivery\'s first commit: the latency targets are judged on it. Fallbacks, each stated in the report and in endToEndMs: a server without commit times (a DATABASE_URL one) gives transaction starts (clock); without the slot, delivery\'s first transaction is known by its start (deliveryClock, deliveryFallback) and the targets are judged on the SCHEDULED commit, an upper bound. endToEndMs.start holds the figures as measured before 2026-12-08 (every effect at its transaction\'s start, understating latency by the transaction\'s duration: 29-45 ms p50 at 100 orders/s).',
        'REST latencies are measured from each request\'s scheduled send time (open loop), so waiting for a free connection counts.',
        ...(plan.securitySettings.length > 1
          ? ['--insecure: every phase ran twice, on the secured stack first, then on the insecure one (its own Kafka and PostgreSQL, started fresh); the top-level figures are the secured stack\'s, `insecure` holds the other\'s, `securityCost` compares them.']
          : []),
        ...(plan.kafkaClients.length > 1
          ? [
              `--client: the services' phases ran once per Kafka client (KAFKA_CLIENT of every service), in this order: ${plan.kafkaClients.join(', ')}, each on a fresh stack (its own Kafka and PostgreSQL); the top-level figures are ${plan.kafkaClients[0]}'s, \`byClient\` holds the others', \`clientComparison\` compares them (ratios to ${plan.kafkaClients[0]}). Baselines and the peer ran on the first stack only.`,
            ]
          : plan.kafkaClients.length === 1
            ? [`--client: every service ran with KAFKA_CLIENT=${plan.kafkaClients[0]}.`]
            : []),
      ],
    },
    plan,
    memory: [],
    cpu: [],
    machineByPhase: [],
    cpuCosts: [],
    profiles: [],
    ratios: [],
    targets: [],
    errors: [],
    databaseByPhase: {},
    securityCost: [],
  };
  const visible = plan.phases.filter((p) => p !== 'memory' || !runsLoadPhase(plan) && !plan.phases.includes('catchup'));
  const stacks = stackRuns(plan);
  progress.setPhaseCount(stacks.reduce((sum, stack) => sum + visible.filter((p) => stack.phases.includes(p)).length, 0));
  const stackList = stacks.length > 1 ? `, on the ${stacks.map((stack) => stack.tag).join(', then the ')} stack` : '';
  progress.say(`${command}: phases ${plan.phases.join(', ')}${stackList}; results in ${path.relative(REPO_ROOT, resultsDir)}`);

  useSkuCount(plan.skus);
  let running: BenchStack | undefined;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress.say(`${signal}: stopping the services and the infrastructure…`);
    void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const context: RunContext = { plan, runId, resultsDir, memory, profiles, work, errors: results.errors, visible, onStack: (stack) => (running = stack) };

  try {
    for (const [index, stackRun] of stacks.entries()) {
      // Every progress line says which stack it is about when there are several.
      progress.setTag(stackRun.tag);
      if (index === 0) {
        const first = await runStack(stackRun, context);
        const { infrastructure, ...measured } = first.measured;
        Object.assign(results, measured);
        results.meta.infrastructure = infrastructure;
        results.meta.kafkaVersion = first.versions.kafka;
        results.meta.postgresVersion = first.versions.postgres;
        Object.assign(results.databaseByPhase, first.databaseByPhase);
      } else {
        // The first stack's figures stand on their own: a later stack that cannot start is reported, not fatal.
        const other = await phase(results.errors, `${stackRun.prefix}stack`, () => runStack(stackRun, context));
        if (!other) continue;
        if (stackRun.kafkaClient !== undefined) results.byClient = { ...results.byClient, [stackRun.kafkaClient]: other.measured };
        else results.insecure = other.measured;
        Object.assign(results.databaseByPhase, other.databaseByPhase);
      }
    }
  } finally {
    progress.setTag('');
    memory.setPhasePrefix('');
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  memory.stop();
  results.memory = memory.memory();
  results.cpu = memory.cpuFigures();
  results.machineByPhase = memory.machine();
  results.cpuCosts = computeCpuCosts(results.cpu, work, machine.nproc, results.databaseByPhase);
  results.profiles = profiles.summaries;
  results.ratios = computeRatios(results);
  results.targets = checkTargets(results);
  results.securityCost = computeSecurityCost(results);
  results.clientComparison = computeClientComparison(results);
  const finishedAt = new Date();
  results.meta.finishedAt = finishedAt.toISOString();
  results.meta.durationSeconds = Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000);
  results.meta.machine.loadAverageAtEnd = os.loadavg().map((v) => Math.round(v * 100) / 100);

  const jsonFile = path.join(resultsDir, 'results.json');
  const svgFile = path.join(resultsDir, 'chart.svg');
  await writeFile(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(svgFile, renderChart(results));
  process.stdout.write(`\n${renderReport(results, { json: path.relative(REPO_ROOT, jsonFile), svg: path.relative(REPO_ROOT, svgFile) })}\n`);
  progress.say(`done in ${results.meta.durationSeconds} s`);
  return results.errors.length > 0 ? 1 : 0;
}

async function main(): Promise<number> {
  requireSupportedNode();
  const argv = process.argv.slice(2);
  let plan: BenchPlan | 'help';
  try {
    plan = parseBenchArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bench: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (plan === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const refusal = externalServersRefusal(plan, process.env);
  if (refusal) {
    process.stderr.write(`bench: ${refusal}\n`);
    return 2;
  }
  if (plan.phases.includes('jwt')) {
    // Needs no stack: measured first, alone on the machine's cores.
    const jwt = await runJwtVerify({ command: `npm run bench -- ${argv.join(' ')}` });
    for (const line of formatJwtVerify(jwt)) process.stdout.write(`${line}\n`);
    const dir = path.resolve(plan.outputDir ?? path.join(REPO_ROOT, 'bench-results', timestamp(new Date())));
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'jwt-verify.json'), `${JSON.stringify(jwt, null, 2)}\n`);
    process.stdout.write(`written to ${path.relative(REPO_ROOT, path.join(dir, 'jwt-verify.json'))}\n`);
    plan = { ...plan, phases: plan.phases.filter((phase) => phase !== 'jwt') };
    if (plan.phases.length === 0) return 0;
  }
  return run(plan, argv);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
