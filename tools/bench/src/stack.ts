import { existsSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { ServiceTopology } from '@relay/contracts';
import { kafkaClientSecurity, KafkaClientName, KafkaSecurity, readKafkaSecurity } from '@relay/service-runtime';
import { creationConfigOf, peekWalOutbox, readGroupLag, WalOutboxSlotInUseError, walOutboxSlotName } from '@relay/messaging';
import {
  adminClientProperties,
  buildApps,
  findFreePort,
  Infrastructure,
  KafkaPrincipal,
  ManagedProcess,
  REPO_ROOT,
  SERVICE_NODE_FLAGS,
  SERVICE_PROCESS_ENV,
  ServiceName,
  spawnManaged,
  startInfrastructure,
  waitUntilReady,
} from '@relay/local-stack';
import type { SecuritySetting } from './options';
import { ProcessSampler } from './process-sampler';
import { prepareBenchAuth } from './load/bench-auth';
import { profilerEnv } from './profiling';
import { firstCommitsNamePrefix } from './first-commits';
import { progress } from './progress';
import { sleep } from './stats';

/** A process the bench started and stops (a service instance, or one of the peer's apps). */
export interface ProgramHandle {
  /** Unique in the run, e.g. `orders`, `inventory-catchup3-2` or `peer-orders`. */
  label: string;
  url: string;
  /** Where /consumer and /metrics are: a Relay service's management port; the peer's one port. */
  managementUrl: string;
  port: number;
  pid: number;
  schema: string;
  group: string;
  process: ManagedProcess;
  profiled: boolean;
}

export interface ServiceHandle extends ProgramHandle {
  service: ServiceName;
}

export interface DbStats {
  commits: number;
  rollbacks: number;
  inserted: number;
  updated: number;
  deleted: number;
  read: number;
  deadlocks: number;
}

/** Rows of one table of the run's schemas (count(*)). */
export interface TableRowCount {
  /** The schema without the run's prefix, e.g. `inventory_cu1`. */
  schema: string;
  table: string;
  rows: number;
}

/** A WAL outbox replication slot of the run. */
export interface OutboxSlot {
  /** The producing schema without the run's prefix. */
  schema: string;
  active: boolean;
  /** WAL PostgreSQL keeps for the slot (from its restart position to the current WAL position). */
  retainedBytes: number;
  /** WAL after the position the relay confirmed (Kafka acknowledged what came before). */
  unconfirmedBytes: number;
}

export interface StartServiceOptions {
  label: string;
  service: ServiceName;
  schema: string;
  /** Starts with the service's name (groupFor): the service's login may use only such groups. */
  group: string;
  env?: Record<string, string>;
}

/**
 * What the bench's embedded PostgreSQL runs with beyond the usual settings: commit time stamps
 * (pg_xact_commit_timestamp), a few bytes per transaction. A DATABASE_URL server keeps its own.
 */
export const BENCH_POSTGRES_SETTINGS: Readonly<Record<string, string>> = { track_commit_timestamp: 'on' };

/** Topics each service consumes (the bench positions fresh groups at their end before starting). */
export const CONSUMED_TOPICS = Object.fromEntries(Object.entries(ServiceTopology).map(([service, { consumes }]) => [service, [...consumes]])) as Record<ServiceName, string[]>;

/**
 * Kafka, PostgreSQL and the service processes of one bench run, in one security setting and with
 * one Kafka client in the services' consumers (a run with --insecure or --client starts one stack
 * per setting or client, one after the other: options.ts stackRuns). Every service instance gets
 * the run's own schema and consumer group, so the bench never shares state with anything else on
 * the same servers; the apps run from a private copy of dist/ so a concurrent rebuild cannot swap
 * the code under a running bench (and every stack of the run runs the same code).
 */
export class BenchStack {
  readonly kafka: Kafka;
  /** How the bench's own clients log in (as `admin`): kafkajs's here, and the baselines' other clients from the same value. */
  readonly kafkaSecurity: KafkaSecurity;
  readonly admin: Admin;
  readonly db: Pool;
  private readonly services = new Map<string, ProgramHandle>();
  private readonly dbStats = new Map<string, DbStats>();
  private dbPoller: NodeJS.Timeout | undefined;
  private lastDbStats: DbStats | undefined;

  private constructor(
    readonly security: SecuritySetting,
    readonly infrastructure: Infrastructure,
    readonly runId: string,
    readonly resultsDir: string,
    private readonly distDir: string,
    readonly sampler: ProcessSampler,
    private readonly profile: readonly ServiceName[],
    private readonly serviceEnv: Record<string, string>,
    private readonly nodeFlags: readonly string[],
    private readonly labelSuffix: string,
  ) {
    // The bench's own client (topics, group positions, clean-up) logs in as `admin`.
    this.kafkaSecurity = readKafkaSecurity({ ...process.env, ...infrastructure.kafkaEnv('admin') });
    this.kafka = new Kafka({ clientId: `relay-bench-${runId}`, brokers: infrastructure.kafkaBrokers.split(','), logLevel: logLevel.NOTHING, ...kafkaClientSecurity(this.kafkaSecurity) });
    this.admin = this.kafka.admin();
    this.db = new Pool({ connectionString: infrastructure.databaseUrl, max: 4, application_name: 'relay-bench' });
    // An idle client whose server went away (the database stopping at the end) must not crash the bench.
    this.db.on('error', () => undefined);
  }

  static async start(options: {
    runId: string;
    resultsDir: string;
    sampler: ProcessSampler;
    profile: readonly ServiceName[];
    serviceEnv?: Record<string, string>;
    /** Node.js flags of every service process; SERVICE_NODE_FLAGS (as everywhere else) by default. */
    nodeFlags?: readonly string[];
    /** Kafka nodes (1 by default, or 3); the replication of every topic follows. */
    kafkaNodes?: number;
    /** `secured` (default): SASL_SSL Kafka with ACLs, bearer JWTs. `insecure`: PLAINTEXT Kafka, HTTP_AUTH=insecure-header. */
    security?: SecuritySetting;
    /** KAFKA_CLIENT of every service (--client); unset: the services' default. */
    kafkaClient?: KafkaClientName;
    /**
     * Tells this stack's processes from another stack's of the same run in the sampler's figures
     * and the log folder (`orders-insecure`, `orders-platformatic`); '' on the first stack.
     */
    labelSuffix?: string;
  }): Promise<BenchStack> {
    const security = options.security ?? 'secured';
    const client = options.kafkaClient ? `, services' consumers on ${options.kafkaClient}` : '';
    progress.say(
      security === 'secured'
        ? `secured stack (SASL_SSL Kafka with ACLs, bearer JWTs${client}): building the apps and starting Kafka + PostgreSQL…`
        : `insecure stack (PLAINTEXT Kafka, HTTP_AUTH=insecure-header on 127.0.0.1${client}): starting Kafka + PostgreSQL…`,
    );
    const infrastructure = startInfrastructure({
      mode: 'ephemeral',
      kafkaNodes: options.kafkaNodes,
      kafkaSecurity: security === 'insecure' ? 'plaintext' : 'secured',
      // Each transaction's commit time, so end-to-end latency ends at the consumer's commit
      // (pipeline.ts, effectTimes); for the bench's server only, not every embedded PostgreSQL.
      postgresSettings: BENCH_POSTGRES_SETTINGS,
      onProgress: (message) => progress.say(message),
    });
    infrastructure.catch(() => undefined);
    const distDir = path.join(options.resultsDir, 'dist');
    try {
      // Built and copied once per run: every later stack runs the very code the first did.
      if (!existsSync(distDir)) {
        await buildApps();
        // The apps resolve packages from the repository's node_modules (a parent folder) and each
        // other by relative paths, both of which survive the copy.
        await cp(path.join(REPO_ROOT, 'dist'), distDir, { recursive: true });
      }
    } catch (error) {
      await (await infrastructure.catch(() => undefined))?.stop();
      throw error;
    }
    const infra = await infrastructure;
    for (const line of infra.started) progress.say(`started ${line}`);
    const auth = await prepareBenchAuth(options.resultsDir, security);
    const serviceEnv = { ...auth.serviceEnv, ...options.serviceEnv, ...(options.kafkaClient ? { KAFKA_CLIENT: options.kafkaClient } : {}) };
    const stack = new BenchStack(security, infra, options.runId, options.resultsDir, distDir, options.sampler, options.profile, serviceEnv, options.nodeFlags ?? SERVICE_NODE_FLAGS, options.labelSuffix ?? '');
    await stack.admin.connect();
    stack.startDbStats();
    return stack;
  }

  get external(): boolean {
    return this.infrastructure.started.length < 2;
  }

  get kafkaBrokers(): string {
    return this.infrastructure.kafkaBrokers;
  }

  get databaseUrl(): string {
    return this.infrastructure.databaseUrl;
  }

  schemaFor(suffix: string): string {
    return `bench_${this.runId}_${suffix}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  }

  /**
   * `<suffix>-bench-<run id>`: a service's group starts with its name (groupFor('inventory-cu1')), as
   * the ACLs of its login require (kafka-acls.ts); throw-away topics are named the same way.
   */
  groupFor(suffix: string): string {
    return `${suffix}-bench-${this.runId}`;
  }

  /** `--command-config` / `--producer.config` of Kafka's perf tools: `admin`'s login, or none on PLAINTEXT or external brokers. */
  async kafkaToolConfig(flag: string): Promise<string[]> {
    const security = this.infrastructure.kafkaSecurity;
    return security ? [flag, await adminClientProperties(security)] : [];
  }

  /**
   * A process's name in the sampler's figures and the log folder: its label, suffixed on a later
   * stack of the run (`orders-insecure`), so two stacks' `orders` are two rows, not one overwriting
   * the other.
   */
  private trackedLabel(label: string): string {
    return this.labelSuffix ? `${label}-${this.labelSuffix}` : label;
  }

  running(label: string): ProgramHandle | undefined {
    return this.services.get(label);
  }

  /** Starts one service instance and resolves when it says it is listening. */
  async startService(options: StartServiceOptions): Promise<ServiceHandle> {
    const started = await this.startProgram({
      ...options,
      name: options.service,
      entryPoint: path.join(this.distDir, 'apps', options.service, 'src', 'main.js'),
      profiled: this.profile.includes(options.service),
      managementPort: await findFreePort(),
      principal: options.service,
    });
    // The same object the stack keeps, so what it stops and what the caller holds stay one.
    return Object.assign(started, { service: options.service });
  }

  /**
   * Starts a Node program the way the services run (their environment, Node flags and log folder),
   * tracked by the sampler under `label`, and resolves once it prints "<name> listening on".
   */
  async startProgram(options: Omit<StartServiceOptions, 'service'> & { name: string; entryPoint: string; profiled: boolean; principal: KafkaPrincipal; managementPort?: number }): Promise<ProgramHandle> {
    const port = await findFreePort();
    const { profiled } = options;
    const inherited = { ...process.env };
    delete inherited.NODE_OPTIONS;
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      NO_COLOR: '1',
      // As in docker/Dockerfile.
      NODE_ENV: 'production',
      ...SERVICE_PROCESS_ENV,
      KAFKA_BROKERS: this.kafkaBrokers,
      DATABASE_URL: this.databaseUrl,
      DATABASE_SCHEMA: options.schema,
      KAFKA_GROUP_ID: options.group,
      KAFKA_CLIENT_ID: `${options.label}-${this.runId}`,
      KAFKA_REPLICATION_FACTOR: String(this.infrastructure.replicationFactor),
      // Each service logs in as itself, as npm start runs it.
      ...this.infrastructure.kafkaEnv(options.principal),
      ...this.serviceEnv,
      ...options.env,
      ...(profiled ? profilerEnv(path.join(this.resultsDir, 'profiles')) : {}),
      PORT: String(port),
      ...(options.managementPort ? { MANAGEMENT_PORT: String(options.managementPort) } : {}),
    };
    // --service-env NODE_OPTIONS=… and the profiler's preload both apply.
    const extraNodeOptions = options.env?.NODE_OPTIONS ?? this.serviceEnv.NODE_OPTIONS;
    if (profiled && extraNodeOptions) env.NODE_OPTIONS = `${extraNodeOptions} ${env.NODE_OPTIONS}`;
    const child = await spawnManaged({
      command: process.execPath,
      // As docker/Dockerfile and npm start run them (unless --node-flags says otherwise).
      args: [...this.nodeFlags, options.entryPoint],
      cwd: REPO_ROOT,
      env,
      logFile: path.join(this.resultsDir, 'logs', `${this.trackedLabel(options.label)}.log`),
      tailLines: 100,
    });
    try {
      await child.waitForLine(`${options.name} listening on`, { timeoutMs: 120_000 });
    } catch (error) {
      await child.stop({ timeoutMs: 5_000 });
      throw error;
    }
    const handle: ProgramHandle = {
      label: options.label,
      url: `http://127.0.0.1:${port}`,
      managementUrl: `http://127.0.0.1:${options.managementPort ?? port}`,
      port,
      pid: child.pid,
      schema: options.schema,
      group: options.group,
      process: child,
      profiled,
    };
    this.services.set(options.label, handle);
    this.sampler.track(this.trackedLabel(options.label), options.name, child.pid);
    return handle;
  }

  async stopService(label: string): Promise<void> {
    const handle = this.services.get(label);
    if (!handle) return;
    this.sampler.untrack(this.trackedLabel(label));
    this.services.delete(label);
    await handle.process.stop({ timeoutMs: 20_000 });
  }

  async stopAllServices(): Promise<void> {
    await Promise.all([...this.services.keys()].map((label) => this.stopService(label)));
  }

  /** Waits until a service's consumer has joined its group (GET /health/ready answers 200). */
  async waitUntilJoined(handle: ServiceHandle, timeoutMs = 60_000): Promise<void> {
    await waitUntilReady(handle, timeoutMs);
  }

  /** Waits until a consumer group has settled with at least one member (a consumer with no health endpoint has joined). */
  async waitForGroupMembers(groupId: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const group = (await this.admin.describeGroups([groupId]).catch(() => undefined))?.groups[0];
      if (group?.state === 'Stable' && group.members.length > 0) return;
      if (Date.now() > deadline) throw new Error(`consumer group ${groupId} had no settled member within ${timeoutMs} ms (state ${group?.state ?? 'unknown'})`);
      await sleep(250);
    }
  }

  /** Creates a topic the way the services do (6 partitions, the cluster's replication and min ISR) if it is missing. */
  async ensureTopic(topic: string, numPartitions = 6): Promise<void> {
    const existing = await this.admin.listTopics();
    if (!existing.includes(topic)) {
      const spec = { topic, numPartitions, replicationFactor: this.infrastructure.replicationFactor };
      try {
        await this.admin.createTopics({ topics: [{ ...spec, configEntries: creationConfigOf(spec) }], waitForLeaders: true });
      } catch (error) {
        if (!(await this.admin.listTopics()).includes(topic)) throw error;
      }
    }
    // Usable once every partition has a leader that answers offset requests.
    await retrying(() => this.admin.fetchTopicOffsets(topic), 40, 250);
  }

  /**
   * Positions a consumer group (with no members) at the current end of each existing topic, so a
   * fresh group reads only what is produced from now on instead of everything since the beginning.
   */
  async positionGroupAtEnd(groupId: string, topics: readonly string[]): Promise<void> {
    await retrying(() => this.positionGroupAtEndOnce(groupId, topics));
  }

  private async positionGroupAtEndOnce(groupId: string, topics: readonly string[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    for (const topic of topics) {
      if (!existing.has(topic)) continue;
      const ends = await this.admin.fetchTopicOffsets(topic);
      await this.admin.setOffsets({ groupId, topic, partitions: ends.map((end) => ({ partition: end.partition, offset: end.high })) });
    }
  }

  /** Group lag on topics, measured by the bench itself (readGroupLag: end offset minus committed offset), over all their partitions. */
  async groupLag(groupId: string, topics: readonly string[]): Promise<number> {
    return (await readGroupLag(this.admin, groupId, topics)).reduce((lag, partition) => lag + Math.max(0, Number(partition.lag)), 0);
  }

  async topicSize(topic: string): Promise<number> {
    const ends = await retrying(() => this.admin.fetchTopicOffsets(topic));
    return ends.reduce((sum, end) => sum + Number(end.high) - Number(end.low), 0);
  }

  /** `GET /consumer` of a service: the group's total lag as the service reports it. */
  async consumerLag(handle: ServiceHandle): Promise<number | null> {
    try {
      const response = await fetch(`${handle.managementUrl}/consumer`, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) return null;
      const body = (await response.json()) as { totalLag?: string };
      return body.totalLag === undefined ? null : Number(body.totalLag);
    } catch {
      return null;
    }
  }

  /** Outbox rows of a service not yet published to Kafka. */
  async outboxBacklog(schema: string): Promise<number | null> {
    try {
      const result = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".outbox WHERE published_at IS NULL`);
      return Number(result.rows[0].n);
    } catch {
      return null;
    }
  }

  /**
   * Events of a schema's WAL outbox that Kafka has not acknowledged: decoded from the schema's
   * replication slot up to the current WAL position without moving it (as the ops audit reads it);
   * 0 for a schema without a slot (its events go to the outbox table). peekWalOutbox reads a
   * temporary copy of the slot (the relay's walsender holds the slot itself) and decodes from its
   * restart position, so this is for drains, not for sampling under load; a busy slot counts 1 (look again).
   */
  async walOutboxPending(schema: string): Promise<number> {
    const slot = await this.db.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1`, [walOutboxSlotName(schema)]);
    if ((slot.rowCount ?? 0) === 0) return 0;
    try {
      const [{ lsn }] = (await this.db.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows;
      return (await peekWalOutbox(this.db, schema, lsn)).length;
    } catch (error) {
      if (error instanceof WalOutboxSlotInUseError) return 1;
      throw error;
    }
  }

  async schemaExists(schema: string): Promise<boolean> {
    const result = await this.db.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'outbox'`, [schema]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Where every schema of the run starts (see schemaFor). */
  private get schemaPrefix(): string {
    return this.schemaFor('');
  }

  /**
   * Drops a schema of the run and its WAL outbox slot, which would otherwise keep every WAL segment
   * written from then on. The slot is dropped only if nobody is reading it: stop its service first.
   */
  async dropSchema(schema: string): Promise<void> {
    await this.db.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, [walOutboxSlotName(schema)]);
    await this.db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }

  /** Exact row counts of every table of the run's schemas, by schema then table. */
  async tableRowCounts(): Promise<TableRowCount[]> {
    const tables = await this.db.query<{ schema: string; table: string }>(
      `SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
        WHERE starts_with(table_schema, $1) AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
      [this.schemaPrefix],
    );
    const counts: TableRowCount[] = [];
    for (const { schema, table } of tables.rows) {
      const [{ n }] = (await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${table}"`)).rows;
      counts.push({ schema: schema.slice(this.schemaPrefix.length), table, rows: Number(n) });
    }
    return counts;
  }

  /** The WAL outbox slots of the run's schemas and the WAL each makes PostgreSQL keep. */
  async outboxSlots(): Promise<OutboxSlot[]> {
    const prefix = walOutboxSlotName(this.schemaPrefix);
    const result = await this.db.query<{ slot_name: string; active: boolean; retained: number | null; unconfirmed: number | null }>(
      `SELECT slot_name, active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 AS retained,
              pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 AS unconfirmed
         FROM pg_replication_slots WHERE starts_with(slot_name, $1) ORDER BY slot_name`,
      [prefix],
    );
    return result.rows.map((row) => ({
      schema: row.slot_name.slice(prefix.length),
      active: row.active,
      retainedBytes: Number(row.retained ?? 0),
      unconfirmedBytes: Number(row.unconfirmed ?? 0),
    }));
  }

  async serverVersions(): Promise<{ postgres: string; kafka: string }> {
    let postgres = 'unknown';
    try {
      postgres = String((await this.db.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v);
    } catch {
      // keep unknown
    }
    const kafka = this.infrastructure.started.find((line) => line.startsWith('Kafka'))?.split(' ')[1] ?? 'external';
    return { postgres, kafka };
  }

  /**
   * On external servers: removes what the run created there (schemas and their WAL outbox slots,
   * first-commit slots and publications, groups, throw-away topics). Stops the services first: a slot being read cannot be dropped.
   */
  async cleanUpExternal(extraTopics: readonly string[]): Promise<void> {
    await this.stopAllServices();
    const schemas = await this.db.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, [this.schemaPrefix]);
    for (const { nspname } of schemas.rows) await this.dropSchema(nspname);
    // Slots left behind keep the WAL: the WAL outbox's whose schema is gone already (dropped by a
    // phase, or never made), and what an interrupted latency run's first-commit watch left (first-commits.ts).
    const watches = firstCommitsNamePrefix(this.schemaPrefix);
    for (const prefix of [walOutboxSlotName(this.schemaPrefix), watches]) {
      await this.db.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE starts_with(slot_name, $1) AND NOT active`, [prefix]);
    }
    const publications = await this.db.query<{ pubname: string }>(`SELECT pubname FROM pg_publication WHERE starts_with(pubname, $1)`, [watches]);
    for (const { pubname } of publications.rows) await this.db.query(`DROP PUBLICATION IF EXISTS "${pubname}"`);
    const groups = (await this.admin.listGroups()).groups.map((group) => group.groupId).filter((id) => id.endsWith(`-bench-${this.runId}`));
    if (groups.length > 0) await this.admin.deleteGroups(groups).catch(() => undefined);
    const topics = (await this.admin.listTopics()).filter((topic) => extraTopics.includes(topic));
    if (topics.length > 0) await this.admin.deleteTopics({ topics }).catch(() => undefined);
  }

  /** PostgreSQL's own counters (pg_stat_database), polled every second and added up per bench phase. */
  private startDbStats(): void {
    const poll = async (): Promise<void> => {
      try {
        const row = (
          await this.db.query<Record<keyof DbStats, string>>(
            `SELECT xact_commit AS commits, xact_rollback AS rollbacks, tup_inserted AS inserted, tup_updated AS updated,
                    tup_deleted AS deleted, tup_returned + tup_fetched AS read, deadlocks
               FROM pg_stat_database WHERE datname = current_database()`,
          )
        ).rows[0];
        const now = Object.fromEntries(Object.entries(row).map(([key, value]) => [key, Number(value)])) as unknown as DbStats;
        if (this.lastDbStats) {
          const phase = this.sampler.currentPhase;
          const sum = this.dbStats.get(phase) ?? { commits: 0, rollbacks: 0, inserted: 0, updated: 0, deleted: 0, read: 0, deadlocks: 0 };
          for (const key of Object.keys(sum) as Array<keyof DbStats>) sum[key] += Math.max(0, now[key] - this.lastDbStats[key]);
          this.dbStats.set(phase, sum);
        }
        this.lastDbStats = now;
      } catch {
        // The database is busy or going away; the next poll catches up.
      }
    };
    this.dbPoller = setInterval(() => void poll(), 1_000);
    this.dbPoller.unref();
    void poll();
  }

  /** PostgreSQL activity per bench phase (commits, rows written, deadlocks). */
  databaseActivity(): Record<string, DbStats> {
    return Object.fromEntries(this.dbStats);
  }

  async stop(): Promise<void> {
    clearInterval(this.dbPoller);
    await this.stopAllServices();
    await this.admin.disconnect().catch(() => undefined);
    await this.db.end().catch(() => undefined);
    await this.infrastructure.stop();
  }
}

/**
 * Retries an admin call a few times: right after a topic is created, or while the broker is busy,
 * metadata can be briefly stale ("not the leader for that topic-partition").
 */
export async function retrying<T>(work: () => Promise<T>, attempts = 10, delayMs = 500): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(delayMs);
    }
  }
}
