/**
 * `npm start`: the whole stack on one machine, with zero configuration. Builds the apps, starts
 * Kafka and PostgreSQL (unless KAFKA_BROKERS / DATABASE_URL point elsewhere), starts orders,
 * inventory and delivery, seeds a demo catalogue, and stays attached. Ctrl-C stops everything.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AppProcess, startAppProcess } from './app-process';
import { buildApps } from './build-apps';
import { elapsed, paint, say } from './console-output';
import { Infrastructure, startInfrastructure } from './infrastructure';
import { DEFAULT_PORTS, LOCAL_STATE_DIR, SERVICES, ServiceName } from './repo-paths';
import { requireSupportedNode } from './node-runtime';
import { seedDemoCatalogue } from './seed';


function portOf(service: ServiceName): number {
  const variable = `${service.toUpperCase()}_PORT`;
  const value = process.env[variable];
  if (value === undefined || value === '') return DEFAULT_PORTS[service];
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`${variable} must be a port number (1-65535), got "${value}"`);
  }
  return port;
}

const MAX_INSTANCES = 6;

/**
 * `npm start -- --inventory 3` runs three inventory instances in one consumer group (ports 3001,
 * 3011, 3021): the group spreads the topic's partitions over them.
 */
function instanceCounts(): Record<ServiceName, number> {
  const { values } = parseArgs({
    options: Object.fromEntries(SERVICES.map((service) => [service, { type: 'string' as const }])),
    strict: true,
  });
  return Object.fromEntries(
    SERVICES.map((service) => {
      const given = values[service];
      const count = given === undefined ? 1 : Number(given);
      if (!Number.isInteger(count) || count < 1 || count > MAX_INSTANCES) {
        throw new Error(`--${service} takes a number of instances from 1 to ${MAX_INSTANCES} (the topics have 6 partitions), got "${given}"`);
      }
      return [service, count];
    }),
  ) as Record<ServiceName, number>;
}

async function main(): Promise<void> {
  requireSupportedNode();
  const startedAt = Date.now();
  const ports = Object.fromEntries(SERVICES.map((service) => [service, portOf(service)])) as Record<ServiceName, number>;
  const counts = instanceCounts();
  let infrastructure: Infrastructure | undefined;
  const apps: AppProcess[] = [];
  let stopping = false;

  const stopEverything = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    say('relay', 'stopping…');
    await Promise.all(apps.map((app) => app.stop().catch(() => undefined)));
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
    infrastructure = await startInfrastructure({ mode: 'persistent', onProgress: (message) => say('relay', message) });
    for (const line of infrastructure.started) say('relay', `started ${line}`);

    const env = { KAFKA_BROKERS: infrastructure.kafkaBrokers, DATABASE_URL: infrastructure.databaseUrl, LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty' };
    const instances = SERVICES.flatMap((service) => Array.from({ length: counts[service] }, (_, index) => ({ service, index })));
    const started = await Promise.all(
      instances.map(({ service, index }) => {
        const tag = index === 0 ? service : `${service}#${index + 1}`;
        return startAppProcess({
          service,
          env,
          port: ports[service] + 10 * index,
          logFile: path.join(LOCAL_STATE_DIR, 'logs', `${index === 0 ? service : `${service}-${index + 1}`}.log`),
          onLine: (line) => say(tag, line),
        });
      }),
    );
    apps.push(...started);
    for (const app of apps) {
      void app.process.exited.then((exit) => {
        if (stopping) return;
        say('error', `${app.service} exited unexpectedly (${exit.code ?? exit.signal}); stopping the stack`);
        void stopEverything(1);
      });
    }
    const seeded = await seedDemoCatalogue(`http://127.0.0.1:${ports.inventory}`);
    if (seeded.length > 0) say('relay', `seeded demo stock: ${seeded.join(', ')} (npm run seed -- --reset sets it again)`);

    const extra = SERVICES.filter((service) => counts[service] > 1).map(
      (service) => `  ${service} runs ${counts[service]} instances in one consumer group, on ports ${Array.from({ length: counts[service] }, (_, i) => ports[service] + 10 * i).join(', ')}`,
    );
    const lines = [
      `Relay is up after ${elapsed(startedAt)}:`,
      ...extra,
      `  orders     http://127.0.0.1:${ports.orders}      POST /orders, GET /orders/:id`,
      `  inventory  http://127.0.0.1:${ports.inventory}      GET /stock/:sku, PUT /stock/:sku, GET /reservations/:orderId`,
      `  delivery   http://127.0.0.1:${ports.delivery}      GET /deliveries/:orderId`,
      `  Kafka      ${infrastructure.kafkaBrokers}`,
      `  PostgreSQL ${infrastructure.databaseUrl}`,
      `Try: curl -X POST 127.0.0.1:${ports.orders}/orders -H 'content-type: application/json' -d '{"customerId":"c-1","items":[{"sku":"SKU-1","quantity":2}]}'`,
      `Logs: ${path.join(LOCAL_STATE_DIR, 'logs')}   Ctrl-C stops everything.`,
    ];
    for (const line of lines) process.stdout.write(`${paint(line, 'relay')}\n`);
  } catch (error) {
    say('error', error instanceof Error ? error.message : String(error));
    await stopEverything(1);
  }
}

void main();
