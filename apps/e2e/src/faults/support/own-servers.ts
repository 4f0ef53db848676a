import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findFreePort, RunningKafkaBroker, RunningPostgres, startKafkaBroker, startPostgres } from '@relay/local-stack';
import { startStack, Stack, StackOptions } from '../../support/stack';

/**
 * A Kafka broker or PostgreSQL server that one fault file owns: in a temp dir, on a fixed port,
 * so the test can stop it and start it again on the same data and port. A file on its own broker
 * also starts from empty topics, so its groups have no other stack's history to work through.
 */
abstract class OwnServer<T extends { stop(): Promise<void> }> {
  protected running: T | undefined;

  protected constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {}

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  protected abstract launch(): Promise<T>;

  async start(): Promise<void> {
    if (!this.running) this.running = await this.launch();
  }

  /** Clean stop (SIGTERM / fast shutdown); the data stays for the next start. */
  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    await running?.stop();
  }
}

export class OwnKafka extends OwnServer<RunningKafkaBroker> {
  readonly brokers: string;

  private constructor(dataDir: string, port: number) {
    super(dataDir, port);
    this.brokers = `127.0.0.1:${port}`;
  }

  static async start(dataDir: string, avoidPorts: number[] = []): Promise<OwnKafka> {
    let port: number;
    do port = await findFreePort();
    while (avoidPorts.includes(port));
    const kafka = new OwnKafka(dataDir, port);
    await kafka.start();
    return kafka;
  }

  protected launch(): Promise<RunningKafkaBroker> {
    return startKafkaBroker({ dataDir: this.dataDir, port: this.port });
  }
}

export class OwnPostgres extends OwnServer<RunningPostgres> {
  url = '';

  private constructor(dataDir: string, port: number) {
    super(dataDir, port);
  }

  static async start(dataDir: string, avoidPorts: number[] = []): Promise<OwnPostgres> {
    let port: number;
    do port = await findFreePort();
    while (avoidPorts.includes(port));
    const postgres = new OwnPostgres(dataDir, port);
    await postgres.start();
    return postgres;
  }

  protected async launch(): Promise<RunningPostgres> {
    const running = await startPostgres({ dataDir: this.dataDir, port: this.port });
    this.url = running.url;
    return running;
  }
}

/** A temp dir for a file's own servers, removed by `remove()`. */
export async function makeTempRoot(tag: string): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), `relay-${tag}-`));
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

/**
 * startStack() takes its servers from KAFKA_BROKERS / DATABASE_URL: point them at `servers` for
 * this one stack and restore them after (the apps keep the values in their own env, restarts too).
 */
export async function startStackOn(options: StackOptions, servers: { kafkaBrokers?: string; databaseUrl?: string }): Promise<Stack> {
  const saved = { KAFKA_BROKERS: process.env.KAFKA_BROKERS, DATABASE_URL: process.env.DATABASE_URL };
  if (servers.kafkaBrokers) process.env.KAFKA_BROKERS = servers.kafkaBrokers;
  if (servers.databaseUrl) process.env.DATABASE_URL = servers.databaseUrl;
  try {
    return await startStack(options);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
