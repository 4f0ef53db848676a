import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseKafkaNodeCount, REPO_ROOT, SERVICE_NODE_FLAGS, SERVICES, ServiceName } from '@relay/local-stack';
import { KAFKA_CLIENTS, KafkaClientName } from '@relay/service-runtime';

export const PHASES = ['rest', 'e2e', 'peer', 'catchup', 'baselines', 'memory'] as const;
/** Phases run only when named in --only. */
export const OPTIONAL_PHASES = ['census', 'jwt'] as const;
export type PhaseName = (typeof PHASES)[number] | (typeof OPTIONAL_PHASES)[number];
const ALL_PHASES: readonly PhaseName[] = [...PHASES, ...OPTIONAL_PHASES];

/**
 * The two stacks the bench can measure. `secured`: SASL_SSL Kafka with ACLs and bearer JWTs, as
 * `npm start` runs. `insecure`: PLAINTEXT Kafka and HTTP_AUTH=insecure-header (identity headers,
 * not verified), only ever next to a secured run, to put a price on security.
 */
export type SecuritySetting = 'secured' | 'insecure';

/**
 * How a setting's phases are named in the CPU, memory and database figures: the secured ones as
 * always (`rest`), the insecure ones prefixed (`insecure:rest`).
 */
export function phasePrefix(setting: SecuritySetting): string {
  return setting === 'secured' ? '' : `${setting}:`;
}

/** Phases whose figures depend on the Kafka client of the services' consumers (the others start no service, or the peer's). */
export const CLIENT_PHASES: readonly PhaseName[] = ['rest', 'e2e', 'catchup', 'memory', 'census'];

/**
 * One fresh stack of a run. A run has one, or with --insecure or --client several, one after the
 * other; the first is the reference, its figures are the run's top-level ones and its phases keep
 * their names. Every later stack's phases are prefixed (`insecure:rest`, `client:platformatic:rest`)
 * in the CPU, memory and database figures, and its processes' labels and log files suffixed
 * (`orders-insecure`, `orders-platformatic`).
 */
export interface StackRun {
  security: SecuritySetting;
  /** KAFKA_CLIENT of every service; unset: the services' default (or the bench's environment's). */
  kafkaClient?: KafkaClientName;
  /** The phases run on this stack: all of the plan's on the first; the client-dependent ones on a later client's. */
  phases: PhaseName[];
  /** '' on the first stack, else the prefix of its phases. */
  prefix: string;
  /** What tells the stacks apart in progress lines and process labels: '' on a run of one stack. */
  tag: string;
}

/** The stacks a plan runs, in order (see StackRun). */
export function stackRuns(plan: Pick<BenchPlan, 'phases' | 'securitySettings' | 'kafkaClients'>): StackRun[] {
  if (plan.kafkaClients.length > 0) {
    const several = plan.kafkaClients.length > 1;
    return plan.kafkaClients.map((kafkaClient, index) => ({
      security: 'secured',
      kafkaClient,
      // Baselines and the peer use no service: measured once, on the first client's stack.
      phases: index === 0 ? plan.phases : plan.phases.filter((p) => CLIENT_PHASES.includes(p)),
      prefix: index === 0 ? '' : `client:${kafkaClient}:`,
      tag: several ? kafkaClient : '',
    }));
  }
  const several = plan.securitySettings.length > 1;
  return plan.securitySettings.map((security) => ({ security, phases: plan.phases, prefix: phasePrefix(security), tag: several ? security : '' }));
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Durations and sizes of one bench run; `--quick` shrinks all of them. */
export interface BenchPlan {
  quick: boolean;
  phases: PhaseName[];
  /** Events loaded onto the topic for the catch-up phase (and read by the consumer baselines). */
  catchupEvents: number;
  restRates: number[];
  restStepSeconds: number;
  /** After each sweep step: wait at most this long for the pipeline to drain before the next one. */
  restDrainSeconds: number;
  latencyRuns: Array<{ rate: number; seconds: number }>;
  sustainSeconds: number;
  sustainMaxTrials: number;
  /** The first sustained rate tried (the target), then up or down the ladder. */
  sustainStartRate: number;
  drainTimeoutSeconds: number;
  /** Catch-up: give up on a run after this long (its rate is still reported, marked unfinished). */
  catchupTimeoutSeconds: number;
  /** Load generator: per-request timeout, and how long it waits for answers after its last send. */
  requestTimeoutMs: number;
  loadDrainTimeoutMs: number;
  memoryOnlyLoad: { rate: number; seconds: number };
  pgBaselineSeconds: number;
  pgBaselineClients: number;
  producerPerfRecords: number;
  /** Open connections of the HTTP load generator. */
  maxSockets: number;
  profile: ServiceName[];
  /** SKUs orders cycle through (each has stock): fewer SKUs, more contention on stock rows. */
  skus: number;
  /** Extra environment for every service instance (A/B experiments, e.g. CONSUMER_CHUNK_SIZE=1). */
  serviceEnv: Record<string, string>;
  /** Node.js flags of every service instance instead of SERVICE_NODE_FLAGS (A/B experiments); unset = those. */
  nodeFlags?: string[];
  /** Kafka nodes the bench starts (1, or 3: replication 3, min ISR 2); topics follow. */
  kafkaNodes: number;
  /** The stacks the phases run on, in order: ['secured'], or with --insecure ['secured', 'insecure'] (compared as a ratio). */
  securitySettings: SecuritySetting[];
  /**
   * --client: KAFKA_CLIENT of every service, one fresh stack per client in this order (compared as
   * ratios to the first); empty: one stack, the services' default client.
   */
  kafkaClients: KafkaClientName[];
  /** Keep bench schemas, groups and throw-away topics on external infrastructure. */
  keepData: boolean;
  outputDir?: string;
}

export const USAGE = `npm run bench [-- options]

Measures Relay on this machine: REST intake (open-loop sweep), end-to-end latency and sustained
rate, the same sustained search on a peer (the flow built the naive NestJS way: TypeORM save then
ClientKafka.emit, @EventPattern handlers on the stock ServerKafka), consumer catch-up (1 vs 3
instances), baselines (Kafka's own perf tools, raw PostgreSQL, raw kafkajs, raw @platformatic/kafka) and peak RSS. Starts ephemeral Kafka + PostgreSQL and the built apps (or uses
KAFKA_BROKERS / DATABASE_URL when set). Writes bench-results/<timestamp>/results.json + chart.svg.

Options:
  --quick               short durations (smoke run, ~3 minutes)
  --events N            catch-up size (default 200000; 5000 with --quick)
  --million             --events 1000000
  --only LIST           comma list of ${PHASES.join(',')} (default: all of them), and/or
                        census: counts the SQL statements per order each service sends (PostgreSQL
                        logs every statement during a 20 orders/s load), and/or
                        jwt: a microbench of bearer-token verification per signing algorithm
                        (RS256, ES256, EdDSA; no stack needed: --only jwt runs in seconds)
  --profile LIST        CPU-profile these services (${SERVICES.join(',')}) during each load phase;
                        summaries go to the report, .cpuprofile files to the results folder
  --rest-rates LIST     override the REST sweep rates (orders/s), e.g. 500,1000,3000
  --latency-rates LIST  override the end-to-end latency runs' rates (orders/s; default 250,1000),
                        e.g. 20,250,1000 to see the pipeline's latency at low load too
  --sustain-start N     first rate tried in the sustained search (default 2000)
  --sustain-trials N    most trials of each sustained search, Relay's and the peer's (default 4;
                        1 with --quick)
  --skus N              SKUs the orders cycle through, each with stock (default 100)
  --service-env LIST    extra environment for every service, e.g. CONSUMER_CHUNK_SIZE=1,LOG_LEVEL=warn
  --node-flags=FLAGS    Node.js flags of every service instead of the usual ones (${SERVICE_NODE_FLAGS.join(' ')}),
                        space-separated, e.g. --node-flags="--max-old-space-size=256"; --node-flags= runs
                        them with Node's defaults
  --brokers N           Kafka nodes: 1 (default) or 3 (a cluster; every topic 3 replicas, min ISR 2;
                        with KAFKA_BROKERS set: the replication of the topics the bench creates)
  --insecure            what security costs: run the phases twice in this one run, first on the
                        secured stack (SASL_SSL Kafka with ACLs, bearer JWTs: the default, as npm
                        start), then on an insecure one (PLAINTEXT Kafka: no TLS, logins or ACLs;
                        services with HTTP_AUTH=insecure-header on 127.0.0.1: the load generator
                        sends X-Relay-Subject instead of a token), and report each figure of both
                        side by side with the ratio secured / insecure. Needs the bench's own Kafka
                        (not KAFKA_BROKERS)
  --client LIST         compare the Kafka clients of the services' consumers: run the phases once
                        per client in this order (${KAFKA_CLIENTS.join(',')}), each on a fresh stack whose
                        services get KAFKA_CLIENT=<client>, and report each figure (catch-up, end-to-end
                        rate, CPU per order and event, latency, REST intake) per client with its ratio
                        to the first client listed. Only the phases that start the services run
                        per client (${CLIENT_PHASES.join(', ')}); baselines and peer run on
                        the first stack only. Needs the bench's own Kafka and PostgreSQL (not
                        KAFKA_BROKERS or DATABASE_URL); not with --insecure
  --keep-data           on external infrastructure: keep bench schemas, groups and topics
  --out DIR             results folder inside the repository (default bench-results/<timestamp>):
                        the services run from a copy of the build there, which finds its packages
                        in the repository's node_modules
  -h, --help            this text
`;

/** How long a latency run offers its rate: 30 s, or with --quick 5 s (8 s from 1,000/s on, to reach the steady state). */
function latencySeconds(rate: number, quick: boolean): number {
  if (!quick) return 30;
  return rate >= 1000 ? 8 : 5;
}

/** The folder, when inside the repository: a copy of the build elsewhere would not find the repository's packages. */
function insideRepository(flag: string, dir: string): string {
  const relative = path.relative(REPO_ROOT, path.resolve(dir));
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new UsageError(`${flag} must be a folder inside the repository (${REPO_ROOT}), got "${dir}": the services run from a copy of the build there and load their packages from the repository's node_modules`);
  }
  return dir;
}

function positiveInt(flag: string, raw: string): number {
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`${flag} must be a positive whole number, got "${raw}"`);
  return value;
}

function list(flag: string, raw: string): string[] {
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new UsageError(`${flag} needs at least one value`);
  return items;
}

/**
 * Why the plan cannot run on the servers the environment names (KAFKA_BROKERS, DATABASE_URL), or
 * undefined when it can.
 */
export function externalServersRefusal(plan: Pick<BenchPlan, 'securitySettings' | 'kafkaClients'>, env: NodeJS.ProcessEnv): string | undefined {
  if (plan.securitySettings.includes('insecure') && env.KAFKA_BROKERS) {
    // The comparison needs a PLAINTEXT broker next to the secured one; someone else's Kafka is what it is.
    return '--insecure compares the bench\'s own secured and PLAINTEXT brokers; unset KAFKA_BROKERS to use it';
  }
  if (plan.kafkaClients.length > 1 && (env.KAFKA_BROKERS || env.DATABASE_URL)) {
    // Every stack of a run names its groups and schemas after the run: on the same servers the
    // second client would meet the first one's, and inherit its topics' size and the servers' state.
    return `--client runs each client on a fresh Kafka and PostgreSQL of its own; unset ${['KAFKA_BROKERS', 'DATABASE_URL'].filter((name) => env[name]).join(' and ')} to use it`;
  }
  return undefined;
}

export function parseBenchArgs(argv: string[]): BenchPlan | 'help' {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: 'boolean' },
        events: { type: 'string' },
        million: { type: 'boolean' },
        only: { type: 'string' },
        profile: { type: 'string' },
        'rest-rates': { type: 'string' },
        'latency-rates': { type: 'string' },
        'sustain-start': { type: 'string' },
        'sustain-trials': { type: 'string' },
        'keep-data': { type: 'boolean' },
        insecure: { type: 'boolean' },
        client: { type: 'string' },
        brokers: { type: 'string' },
        skus: { type: 'string' },
        'service-env': { type: 'string' },
        'node-flags': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return 'help';
  const quick = values.quick === true;

  const phases = typeof values.only === 'string' ? list('--only', values.only) : [...PHASES];
  for (const phase of phases) {
    if (!(ALL_PHASES as readonly string[]).includes(phase)) throw new UsageError(`--only: unknown phase "${phase}" (known: ${ALL_PHASES.join(', ')})`);
  }
  const profile = typeof values.profile === 'string' ? list('--profile', values.profile) : [];
  for (const service of profile) {
    if (!(SERVICES as readonly string[]).includes(service)) throw new UsageError(`--profile: unknown service "${service}" (known: ${SERVICES.join(', ')})`);
  }
  if (values.million && typeof values.events === 'string') throw new UsageError('--million and --events cannot be combined');
  const catchupEvents = values.million ? 1_000_000 : typeof values.events === 'string' ? positiveInt('--events', values.events) : quick ? 5_000 : 200_000;
  const restRates =
    typeof values['rest-rates'] === 'string'
      ? list('--rest-rates', values['rest-rates']).map((rate) => positiveInt('--rest-rates', rate))
      : quick
        ? [500, 2000, 4000]
        : [250, 500, 1000, 2000, 4000];

  const serviceEnv: Record<string, string> = {};
  if (typeof values['service-env'] === 'string') {
    for (const pair of list('--service-env', values['service-env'])) {
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
      if (!match) throw new UsageError(`--service-env: "${pair}" is not NAME=value`);
      serviceEnv[match[1]] = match[2];
    }
  }

  let nodeFlags: string[] | undefined;
  if (typeof values['node-flags'] === 'string') {
    nodeFlags = values['node-flags'].split(/\s+/).filter((flag) => flag !== '');
    const bad = nodeFlags.find((flag) => !flag.startsWith('--'));
    if (bad !== undefined) throw new UsageError(`--node-flags: "${bad}" is not a --flag`);
  }

  const kafkaClients = typeof values.client === 'string' ? list('--client', values.client) : [];
  for (const [index, client] of kafkaClients.entries()) {
    if (!(KAFKA_CLIENTS as readonly string[]).includes(client)) throw new UsageError(`--client: unknown Kafka client "${client}" (known: ${KAFKA_CLIENTS.join(', ')})`);
    if (kafkaClients.indexOf(client) !== index) throw new UsageError(`--client: "${client}" is listed twice`);
  }
  if (kafkaClients.length > 0) {
    if (values.insecure === true) throw new UsageError('--client and --insecure cannot be combined: each compares stacks that differ in one thing; run them one at a time');
    if ('KAFKA_CLIENT' in serviceEnv) throw new UsageError('--client sets KAFKA_CLIENT of every service: leave it out of --service-env');
    if (!phases.some((phase) => CLIENT_PHASES.includes(phase as PhaseName))) {
      throw new UsageError(`--client compares the services' consumers: --only needs one of ${CLIENT_PHASES.join(', ')}`);
    }
  }

  let kafkaNodes: number;
  try {
    kafkaNodes = parseKafkaNodeCount('--brokers', typeof values.brokers === 'string' ? values.brokers : undefined);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  return {
    quick,
    kafkaNodes,
    securitySettings: values.insecure === true ? ['secured', 'insecure'] : ['secured'],
    kafkaClients: kafkaClients as KafkaClientName[],
    skus: typeof values.skus === 'string' ? positiveInt('--skus', values.skus) : 100,
    serviceEnv,
    nodeFlags,
    phases: ALL_PHASES.filter((phase) => phases.includes(phase)),
    catchupEvents,
    restRates,
    restStepSeconds: quick ? 4 : 15,
    restDrainSeconds: quick ? 6 : 60,
    latencyRuns: (typeof values['latency-rates'] === 'string'
      ? list('--latency-rates', values['latency-rates']).map((rate) => positiveInt('--latency-rates', rate))
      : [250, 1000]
    ).map((rate) => ({ rate, seconds: latencySeconds(rate, quick) })),
    sustainSeconds: quick ? 30 : 60,
    sustainMaxTrials: typeof values['sustain-trials'] === 'string' ? positiveInt('--sustain-trials', values['sustain-trials']) : quick ? 1 : 4,
    sustainStartRate: typeof values['sustain-start'] === 'string' ? positiveInt('--sustain-start', values['sustain-start']) : 2000,
    drainTimeoutSeconds: quick ? 12 : 120,
    catchupTimeoutSeconds: quick ? 30 : Math.max(300, Math.ceil(catchupEvents / 1000)),
    requestTimeoutMs: quick ? 10_000 : 30_000,
    loadDrainTimeoutMs: quick ? 5_000 : 15_000,
    memoryOnlyLoad: { rate: 1000, seconds: quick ? 10 : 30 },
    pgBaselineSeconds: quick ? 5 : 15,
    pgBaselineClients: 10,
    producerPerfRecords: Math.max(catchupEvents, quick ? 100_000 : 500_000),
    maxSockets: 256,
    profile: profile as ServiceName[],
    keepData: values['keep-data'] === true,
    outputDir: typeof values.out === 'string' ? insideRepository('--out', values.out) : undefined,
  };
}
