import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { AppProcess, authEnvFor, ensureSigningKey, findFreePort, kafkaClientEnv, kafkaSecurityDir, mintToken, readKafkaSecurity, REPO_ROOT, ServiceName, SERVICES, startAppProcess } from '@relay/local-stack';
import { getJson, useBearerToken } from './http';
import { KAFKA_CLIENTS, KafkaClientName, waitFor } from '@relay/testing';

/** One app of a stack: a real OS process that a test can stop, kill and start again. */
export interface AppHandle {
  readonly service: ServiceName;
  /** Fixed for the stack's life: a restarted app listens on the same port. */
  readonly port: number;
  /** The public port: the API (token needed) and health. */
  readonly url: string;
  /** The management port (fixed for the stack's life too): /metrics, /docs, /consumer, health. */
  readonly managementPort: number;
  readonly managementUrl: string;
  readonly logFile: string;
  /** The env the app is started with (besides this process's own), the same on every start. */
  readonly env: Readonly<Record<string, string>>;
  isRunning(): boolean;
  /** The current process id; undefined while stopped. */
  pid(): number | undefined;
  /**
   * Starts a new process; resolves once it logs `<service> listening on` and, where the app has a
   * readiness probe, GET /health/ready answers 200 (its consumer has joined its group). No-op while running.
   */
  start(): Promise<void>;
  /** Graceful stop: SIGTERM, SIGKILL if it has not exited after `timeoutMs` (default 20 s). */
  stop(timeoutMs?: number): Promise<void>;
  /** Hard crash: SIGKILL, no shutdown hooks. */
  kill(): Promise<void>;
  /** Graceful stop, then start with the same env and port. */
  restart(): Promise<void>;
  /** The last lines the current (or last) process printed. */
  tail(lines?: number): string[];
}

/** One app per service of the topology, by its name (`stack.orders`, `stack.inventory`, …), and the stack's own handles. */
export interface Stack extends Readonly<Record<ServiceName, AppHandle>> {
  /** Unique per stack: in schema names (`orders_<suffix>`), group ids (`inventory-<suffix>`), log paths. */
  readonly suffix: string;
  readonly kafkaBrokers: string;
  readonly logDir: string;
  /** Consumer group ids, `<service>-<suffix>` (set for every app: one that consumes nothing ignores it). */
  readonly groups: Readonly<Record<ServiceName, string>>;
  /** Every app, in the topology's order. */
  readonly apps: readonly AppHandle[];
  /**
   * Bearer tokens the stack's apps accept, signed with the stack's own key pair (made in its log
   * folder for this stack only). Every request to one of its apps through support/http carries
   * `tokens.admin` unless it sets its own Authorization header (or `anonymous`).
   */
  readonly tokens: StackTokens;
  /** Stops every app that is still running (gracefully, SIGKILL after a deadline). Never throws. */
  stop(): Promise<void>;
}

export interface StackTokens {
  /** An operator's token (roles ["admin"]), valid for the stack's life. */
  readonly admin: string;
  /** A customer's token: `sub` is the customer id. */
  customer(customerId: string): Promise<string>;
  /** Any token signed with the stack's key: for the tests of what is refused. */
  mint(claims: { subject: string; roles?: string[]; ttlSeconds?: number; issuer?: string; audience?: string }): Promise<string>;
}

/** Long enough for the longest suite: a token expiring mid-run would fail tests for nothing. */
const STACK_TOKEN_TTL_SECONDS = 6 * 3_600;

export interface StackOptions {
  /** Short tag for the suffix, e.g. the test file's theme (lower-case letters and digits). */
  name: string;
  /** Extra env per service (e.g. CONSUMER_SESSION_TIMEOUT_MS). */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
}

export const E2E_LOG_ROOT = path.join(REPO_ROOT, 'tmp', 'e2e-logs');

const READY_TIMEOUT_MS = 60_000;

/**
 * Which client each service runs on (its consumer, its outbox relay, its lag reads): inventory on
 * one, orders and delivery on the other, so every scenario exercises both adapters; extra instances of a service (otherKafkaClient) join its group
 * on the other client, so the scaling and group-membership scenarios run groups that mix the two.
 * A service not named here gets no KAFKA_CLIENT, so it runs on the services' default client.
 * KAFKA_CLIENT in the suite's environment puts every instance on that one client.
 */
const STACK_KAFKA_CLIENTS: Partial<Record<ServiceName, KafkaClientName>> = { orders: 'kafkajs', inventory: 'platformatic', delivery: 'kafkajs' };

const forcedKafkaClient = (): KafkaClientName | undefined => process.env.KAFKA_CLIENT as KafkaClientName | undefined;

/** KAFKA_CLIENT for a service's first instance: none when neither the suite nor STACK_KAFKA_CLIENTS names one. */
function kafkaClientFor(service: ServiceName): { KAFKA_CLIENT?: KafkaClientName } {
  const client = forcedKafkaClient() ?? STACK_KAFKA_CLIENTS[service];
  return client === undefined ? {} : { KAFKA_CLIENT: client };
}

/** The client an extra instance of an app started with `env` uses: the other one, unless KAFKA_CLIENT forces one. */
export function otherKafkaClient(env: Readonly<Record<string, string>>): KafkaClientName {
  const current = env.KAFKA_CLIENT ?? KAFKA_CLIENTS[0];
  return forcedKafkaClient() ?? KAFKA_CLIENTS.find((client) => client !== current)!;
}

function requiredEnv(name: 'KAFKA_BROKERS' | 'DATABASE_URL'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the e2e suite through jest -c apps/e2e/jest.config.cjs (its globalSetup provides it)`);
  return value;
}

function uniqueSuffix(name: string): string {
  const tag = name.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 12) || 'e2e';
  return `${tag}_${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
}

class ManagedApp implements AppHandle {
  private current: AppProcess | undefined;
  private started = false;

  constructor(
    readonly service: ServiceName,
    private port_: number,
    readonly managementPort: number,
    readonly env: Readonly<Record<string, string>>,
    readonly logFile: string,
    private readonly pickPort: () => Promise<number>,
  ) {}

  get port(): number {
    return this.port_;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get managementUrl(): string {
    return `http://127.0.0.1:${this.managementPort}`;
  }

  isRunning(): boolean {
    return this.current !== undefined && this.current.process.exitStatus() === undefined;
  }

  pid(): number | undefined {
    return this.isRunning() ? this.current!.process.pid : undefined;
  }

  async start(): Promise<void> {
    if (this.isRunning()) return;
    for (let attempt = 1; ; attempt++) {
      try {
        this.current = await startAppProcess({ service: this.service, env: { ...this.env }, port: this.port_, managementPort: this.managementPort, logFile: this.logFile, startTimeoutMs: 60_000 });
        this.started = true;
        break;
      } catch (error) {
        // findFreePort() releases the port before the app binds it; if something took it meanwhile,
        // the first start may move to another port (a restart keeps its port, by definition).
        if (this.started || attempt >= 3 || !String((error as Error)?.message).includes('EADDRINUSE')) throw error;
        this.port_ = await this.pickPort();
      }
    }
    await this.waitUntilReady(this.current);
  }

  /**
   * "Listening" is not "ready": an event consumer joins its group after the HTTP server is up. Where
   * the app has a readiness probe (GET /health/ready), wait for it to answer 200, as a deployment
   * would before routing traffic; an app without one (404) counts as ready once it listens.
   */
  private async waitUntilReady(app: AppProcess): Promise<void> {
    let outcome: 'ready' | 'exited';
    try {
      outcome = await waitFor(
        async () => {
          if (app.process.exitStatus()) return 'exited' as const;
          const response = await getJson(`${this.url}/health/ready`, { timeoutMs: 5_000 });
          return response.status === 200 || response.status === 404 ? ('ready' as const) : undefined;
        },
        { timeoutMs: READY_TIMEOUT_MS, intervalMs: 200, description: `${this.service} to be ready (GET /health/ready → 200; log: ${this.logFile})` },
      );
    } catch (error) {
      // A process that is up but never gets ready must not outlive the failed start.
      await app.process.stop({ timeoutMs: 5_000 });
      throw error;
    }
    if (outcome === 'exited') {
      const exit = app.process.exitStatus()!;
      throw new Error(`${this.service} exited (${exit.signal ?? `code ${exit.code}`}) before it was ready. Last output:\n${app.process.tail(30).join('\n')}`);
    }
  }

  async stop(timeoutMs = 20_000): Promise<void> {
    await this.current?.process.stop({ signal: 'SIGTERM', timeoutMs });
  }

  async kill(): Promise<void> {
    await this.current?.process.stop({ signal: 'SIGKILL', timeoutMs: 5_000 });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  tail(lines = 40): string[] {
    return this.current?.process.tail(lines) ?? [];
  }
}

/**
 * Starts every service of the topology (ServiceTopology) from dist/ as separate OS processes
 * against the Kafka and PostgreSQL named by KAFKA_BROKERS / DATABASE_URL. Everything the stack
 * owns carries a unique suffix: its PostgreSQL schemas (`<service>_<suffix>`), consumer groups
 * (`<service>-<suffix>`), free ports, and logs (tmp/e2e-logs/<suffix>/<service>.log). The topic
 * `relay.orders.v1` is shared with every other stack ever started on that Kafka: a fresh group
 * reads all earlier events first.
 *
 * Call `stop()` in afterAll; if start-up fails, whatever did start is stopped before this rejects.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const kafkaBrokers = requiredEnv('KAFKA_BROKERS');
  const databaseUrl = requiredEnv('DATABASE_URL');
  const suffix = uniqueSuffix(options.name);
  const logDir = path.join(E2E_LOG_ROOT, suffix);
  const groups = Object.fromEntries(SERVICES.map((service) => [service, `${service}-${suffix}`])) as Record<ServiceName, string>;
  // Each service logs in as itself, as in production: the local brokers' logins are in the security
  // dir the global setup (or npm test) named. None there: a broker outside the local stack, whose
  // KAFKA_* variables the apps inherit.
  const security = await readKafkaSecurity(kafkaSecurityDir());

  const taken = new Set<number>();
  const freePort = async (): Promise<number> => {
    for (;;) {
      const port = await findFreePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  const signingKey = await ensureSigningKey(path.join(logDir, 'auth'));
  const mint: StackTokens['mint'] = (claims) => mintToken(signingKey.privateKey, { ttlSeconds: STACK_TOKEN_TTL_SECONDS, ...claims });
  const tokens: StackTokens = {
    admin: await mint({ subject: `e2e-admin-${suffix}`, roles: ['admin'] }),
    customer: (customerId) => mint({ subject: customerId }),
    mint,
  };
  const makeApp = async (service: ServiceName): Promise<ManagedApp> => {
    const env = {
      ...authEnvFor(signingKey),
      KAFKA_BROKERS: kafkaBrokers,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: `${service}_${suffix}`,
      KAFKA_CLIENT_ID: `${service}-${suffix}`,
      KAFKA_GROUP_ID: groups[service],
      ...kafkaClientFor(service),
      ...(security ? kafkaClientEnv(security, service) : {}),
      LOG_LEVEL: 'log',
      ...options.env?.[service],
    };
    return new ManagedApp(service, await freePort(), await freePort(), env, path.join(logDir, `${service}.log`), freePort);
  };
  const apps: ManagedApp[] = [];
  for (const service of SERVICES) apps.push(await makeApp(service));
  const appsByService = Object.fromEntries(apps.map((app): [ServiceName, AppHandle] => [app.service, app])) as Record<ServiceName, AppHandle>;
  useBearerToken(tokens.admin);

  const stop = async (): Promise<void> => {
    await Promise.allSettled(apps.map((app) => app.stop(15_000)));
  };

  const results = await Promise.allSettled(apps.map((app) => app.start()));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await stop();
    const reason = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
    throw new Error(`the e2e stack did not start (logs in ${logDir}): ${reason}`);
  }
  // Fresh groups first read every event earlier stacks left on the shared topics. Tests start once
  // that backlog is worked through, so their deadlines measure their own events only.
  try {
    await Promise.all(apps.map((app) => waitForBacklog(app)));
  } catch (error) {
    await stop();
    throw error;
  }
  return { ...appsByService, suffix, kafkaBrokers, logDir, groups, apps, tokens, stop };
}

const BACKLOG_TIMEOUT_MS = 180_000;

async function waitForBacklog(app: AppHandle): Promise<void> {
  await waitFor(
    async () => {
      const status = await getJson<{ totalLag?: string }>(`${app.managementUrl}/consumer`, { timeoutMs: 5_000 });
      return status.status === 404 || status.body?.totalLag === '0' ? true : undefined;
    },
    { timeoutMs: BACKLOG_TIMEOUT_MS, intervalMs: 250, description: `${app.service} to work through the shared topics' backlog (log: ${app.logFile})` },
  );
}
