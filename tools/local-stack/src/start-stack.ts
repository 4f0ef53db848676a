/**
 * `npm start`: the whole stack on one machine, with zero configuration. Builds the apps, starts
 * Kafka and PostgreSQL (unless KAFKA_BROKERS / DATABASE_URL point elsewhere), starts every service
 * of the topology (ServiceTopology) and the console, seeds a demo catalogue, says "Relay is up" once
 * every instance is ready, and stays attached. A service that dies is restarted with back-off while the rest keeps running
 * (`--no-restart`: the first death stops the stack, for debugging). Ctrl-C stops everything.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AppProcess, startAppProcess, waitUntilReady } from './app-process';
import { buildApps } from './build-apps';
import { elapsed, paint, say } from './console-output';
import { Infrastructure, startInfrastructure } from './infrastructure';
import { parseKafkaNodeCount } from './kafka-properties';
import { describeExit } from './process-utils';
import { CONSOLE_APP, CONSOLE_DEFAULT_PORT, DEFAULT_PORTS, LOCAL_STATE_DIR, SERVICES, ServiceName } from './repo-paths';
import { requireSupportedNode } from './node-runtime';
import { seedDemoCatalogue } from './seed';
import { authEnvFor, ensureSigningKey, LOCAL_AUTH_DIR, mintToken } from './signing-key';
import { ADMIN_ROLE, MANAGEMENT_PORT_OFFSET } from '@relay/service-runtime';
import { ServiceSupervisor } from './service-supervisor';


function portOf(service: ServiceName | typeof CONSOLE_APP): number {
  const variable = `${service.toUpperCase()}_PORT`;
  const value = process.env[variable];
  if (value === undefined || value === '') return service === CONSOLE_APP ? CONSOLE_DEFAULT_PORT : DEFAULT_PORTS[service];
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`${variable} must be a port number (1-65535), got "${value}"`);
  }
  return port;
}

const MAX_INSTANCES = 6;

/** How long every instance has to become ready (its consumer in its group) before start-up fails. */
const READY_TIMEOUT_MS = 120_000;

/** `--<service> N` for every service of the topology. */
const INSTANCE_COUNT_OPTIONS = Object.fromEntries(SERVICES.map((service) => [service, { type: 'string' }])) as Record<ServiceName, { type: 'string' }>;

interface StartOptions {
  counts: Record<ServiceName, number>;
  restart: boolean;
  kafkaNodes: number;
}

/**
 * `npm start -- --inventory 3` runs three inventory instances in one consumer group (ports 3001,
 * 3011, 3021): the group spreads the topic's partitions over them. `--no-restart` leaves dead
 * services dead and stops the stack. `--brokers 3` runs a 3-node Kafka cluster on 9092-9094.
 */
function startOptions(): StartOptions {
  const { values } = parseArgs({
    options: {
      ...INSTANCE_COUNT_OPTIONS,
      'no-restart': { type: 'boolean', default: false },
      brokers: { type: 'string' },
    },
    strict: true,
  });
  const counts = Object.fromEntries(
    SERVICES.map((service) => {
      const given = values[service];
      const count = given === undefined ? 1 : Number(given);
      if (!Number.isInteger(count) || count < 1 || count > MAX_INSTANCES) {
        throw new Error(`--${service} takes a number of instances from 1 to ${MAX_INSTANCES} (the topics have 6 partitions), got "${given}"`);
      }
      return [service, count];
    }),
  ) as Record<ServiceName, number>;
  return { counts, restart: values['no-restart'] !== true, kafkaNodes: parseKafkaNodeCount('--brokers', values.brokers) };
}

async function main(): Promise<void> {
  requireSupportedNode();
  const startedAt = Date.now();
  const ports = Object.fromEntries(SERVICES.map((service) => [service, portOf(service)])) as Record<ServiceName, number>;
  const consolePort = portOf(CONSOLE_APP);
  let options: StartOptions;
  try {
    options = startOptions();
  } catch (error) {
    // A usage error: say what is wrong, without a stack trace.
    say('error', (error as Error).message);
    process.exit(2);
  }
  const { counts, restart, kafkaNodes } = options;
  let infrastructure: Infrastructure | undefined;
  const supervisors: ServiceSupervisor<AppProcess>[] = [];
  let stopping = false;

  const stopEverything = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    say('relay', 'stopping…');
    await Promise.all(supervisors.map((supervisor) => supervisor.stop().catch(() => undefined)));
    await infrastructure?.stop().catch(() => undefined);
    say('relay', 'stopped');
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stopEverything(0));
  process.on('SIGTERM', () => void stopEverything(0));

  try {
    say('relay', 'building apps…');
    await buildApps();
    say('relay', 'starting Kafka and PostgreSQL…');
    infrastructure = await startInfrastructure({ mode: 'persistent', kafkaNodes, onProgress: (message) => say('relay', message) });
    for (const line of infrastructure.started) say('relay', `started ${line}`);
    // Made on the first start, reused after: tokens minted with `npm run ops -- token` stay valid.
    const signingKey = await ensureSigningKey();

    const env = {
      ...authEnvFor(signingKey),
      KAFKA_BROKERS: infrastructure.kafkaBrokers,
      // Follows --brokers, unless set in the environment (e.g. for a cluster given by KAFKA_BROKERS).
      KAFKA_REPLICATION_FACTOR: process.env.KAFKA_REPLICATION_FACTOR || String(infrastructure.replicationFactor),
      DATABASE_URL: infrastructure.databaseUrl,
      LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
    };
    const instances = SERVICES.flatMap((service) => Array.from({ length: counts[service] }, (_, index) => ({ service, index })));
    const started = await Promise.all(
      instances.map(async ({ service, index }) => {
        const tag = index === 0 ? service : `${service}#${index + 1}`;
        const launch = () =>
          startAppProcess({
            service,
            // Each service logs in as itself: the ACLs let it write its own topics only.
            env: { ...env, ...infrastructure!.kafkaEnv(service) },
            port: ports[service] + 10 * index,
            managementPort: ports[service] + 10 * index + MANAGEMENT_PORT_OFFSET,
            logFile: path.join(LOCAL_STATE_DIR, 'logs', `${index === 0 ? service : `${service}-${index + 1}`}.log`),
            onLine: (line) => say(tag, line),
          });
        const supervisor = new ServiceSupervisor({
          name: tag,
          start: launch,
          say: (message) => say('relay', message),
          restart,
          onGaveUp: (exit) => {
            say('error', `${tag} exited unexpectedly (${describeExit(exit)}); stopping the stack (--no-restart)`);
            void stopEverything(1);
          },
        });
        supervisors.push(supervisor);
        const app = await supervisor.start();
        return app;
      }),
    );
    say('relay', 'waiting for every instance to be ready (consumers joining their groups)…');
    await Promise.all(started.map((app) => waitUntilReady(app, READY_TIMEOUT_MS)));
    const adminToken = await mintToken(signingKey.privateKey, { subject: 'npm-start', roles: [ADMIN_ROLE], ttlSeconds: 300 });
    const seeded = await seedDemoCatalogue(`http://127.0.0.1:${ports.inventory}`, { token: adminToken });
    await smokeCheck(`http://127.0.0.1:${ports.orders}`, await mintToken(signingKey.privateKey, { subject: 'smoke-check', ttlSeconds: 60 }));
    if (seeded.length > 0) say('relay', `seeded demo stock: ${seeded.join(', ')} (npm run seed -- --reset sets it again)`);

    // The operations console watches every instance: their URLs follow the ports given above
    // (their management ports, where /metrics is), and it logs in to Kafka as the ops principal.
    const instanceUrls = (service: ServiceName) =>
      Array.from({ length: counts[service] }, (_, i) => `http://127.0.0.1:${ports[service] + 10 * i + MANAGEMENT_PORT_OFFSET}`).join(',');
    const consoleSupervisor = new ServiceSupervisor({
      name: CONSOLE_APP,
      start: () =>
        startAppProcess({
          service: CONSOLE_APP,
          env: { ...env, ...infrastructure!.kafkaEnv('ops'), ...Object.fromEntries(SERVICES.map((service) => [`${service.toUpperCase()}_URLS`, instanceUrls(service)])) },
          port: consolePort,
          logFile: path.join(LOCAL_STATE_DIR, 'logs', 'console.log'),
          onLine: (line) => say(CONSOLE_APP, line),
        }),
      say: (message) => say('relay', message),
      restart,
      onGaveUp: (exit) => {
        say('error', `console exited unexpectedly (${describeExit(exit)}); stopping the stack (--no-restart)`);
        void stopEverything(1);
      },
    });
    supervisors.push(consoleSupervisor);
    await consoleSupervisor.start();

    const extra = SERVICES.filter((service) => counts[service] > 1).map(
      (service) => `  ${service} runs ${counts[service]} instances in one consumer group, on ports ${Array.from({ length: counts[service] }, (_, i) => ports[service] + 10 * i).join(', ')}`,
    );
    const lines = [
      `Relay is up after ${elapsed(startedAt)}:`,
      ...extra,
      // The routes are each service's own: its OpenAPI document lists them, so no list here goes stale.
      ...SERVICES.map((service) => `  ${service.padEnd(11)}http://127.0.0.1:${ports[service]}      API: http://127.0.0.1:${ports[service] + MANAGEMENT_PORT_OFFSET}/docs`),
      `  console    http://127.0.0.1:${consolePort}      live flow, lag, dead letters, audit, an order's story (paste an admin token: npm run -s ops -- token --role admin)`,
      `  Kafka      ${infrastructure.kafkaBrokers}${kafkaNodes > 1 ? ` (${kafkaNodes} nodes; topics: ${infrastructure.replicationFactor} replicas)` : ''}`,
      `  PostgreSQL ${infrastructure.databaseUrl}`,
      `  metrics, docs, consumer status on 127.0.0.1:${SERVICES.map((service) => ports[service] + MANAGEMENT_PORT_OFFSET).join(' / ')} (management ports; e.g. /docs)`,
      `  tokens signed by ${path.join(LOCAL_AUTH_DIR, 'signing-key.pem')}`,
      `Try: TOKEN=$(npm run -s ops -- token --customer c-1)`,
      `     curl -X POST 127.0.0.1:${ports.orders}/orders -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"items":[{"sku":"SKU-1","quantity":2}]}'`,
      `Logs: ${path.join(LOCAL_STATE_DIR, 'logs')}   ${restart ? 'A service that dies is restarted. ' : ''}Ctrl-C stops everything.`,
    ];
    for (const line of lines) process.stdout.write(`${paint(line, 'relay')}\n`);
  } catch (error) {
    say('error', error instanceof Error ? error.message : String(error));
    await stopEverything(1);
  }
}

/**
 * The API answers an authenticated request end to end: a customer's token lists its orders (none
 * needed), and a request without one is refused. Catches a stack whose keys do not match.
 */
async function smokeCheck(ordersUrl: string, customerToken: string): Promise<void> {
  const withToken = await fetch(`${ordersUrl}/orders?limit=1`, { headers: { authorization: `Bearer ${customerToken}` }, signal: AbortSignal.timeout(10_000) });
  if (withToken.status !== 200) throw new Error(`smoke check: GET /orders with a customer token answered ${withToken.status}: ${(await withToken.text()).slice(0, 300)}`);
  const without = await fetch(`${ordersUrl}/orders?limit=1`, { signal: AbortSignal.timeout(10_000) });
  if (without.status !== 401) throw new Error(`smoke check: GET /orders without a token answered ${without.status}, not 401`);
}

void main();
