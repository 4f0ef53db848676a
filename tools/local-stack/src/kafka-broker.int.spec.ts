/**
 * Integration tests for the local Kafka runner and a kafkajs 2.2.4 smoke test.
 *
 * - kafkajs smoke: against KAFKA_BROKERS when set (the shared Jest global setup sets it to a broker it
 *   started with this same runner), else against the broker started here.
 * - runner: always against a broker started here in a fresh temp dir (restart keeps data, CLI tools,
 *   stop). Skipped only when KAFKA_BROKERS is given and there is no Java to run a broker with.
 *
 * The very first run downloads the Kafka jars with Maven, hence the generous hook timeouts.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ConfigResourceTypes,
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import {
  KAFKA_TOOL_CLASSES,
  KAFKA_VERSION,
  kafkaBrokersFromEnv,
  runKafkaTool,
  startKafkaBroker,
  type RunningKafkaBroker,
} from './kafka-broker';
import { isProcessAlive, waitFor } from './process-utils';
import { adminClientProperties, kafkaClientEnv } from './kafka-security';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { kafkaClientSecurity, readKafkaSecurity } from '../../../libs/service-runtime/src/config/kafka-security';

const HOOK_TIMEOUT_MS = 180_000;
jest.setTimeout(60_000);

const externalBrokers = kafkaBrokersFromEnv();

function javaWorks(): boolean {
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  return spawnSync(java, ['-version'], { stdio: 'ignore' }).status === 0;
}
// Without KAFKA_BROKERS a missing Java must fail loudly (JavaNotFoundError), not skip.
const runLocalBroker = externalBrokers === undefined || javaWorks();
const describeRunner = runLocalBroker ? describe : describe.skip;

const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

function report(message: string): void {
  process.stderr.write(`[kafka-broker.int] ${message}\n`);
}

let dataDir: string | undefined;
let localBroker: RunningKafkaBroker | undefined;

async function startLocalBroker(): Promise<RunningKafkaBroker> {
  dataDir ??= await fs.mkdtemp(path.join(os.tmpdir(), 'relay-kafka-int-'));
  const startedAt = Date.now();
  const running = await startKafkaBroker({ dataDir, port: 0, onProgress: report });
  report(
    `Kafka ${running.kafkaVersion} up at ${running.brokers.join(',')} (pid ${running.pid}) ` +
      `in ${Date.now() - startedAt} ms; log ${running.logFile}`,
  );
  return running;
}

async function rssMb(pid: number): Promise<number | undefined> {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(await fs.readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
  } catch {
    return undefined; // not Linux, or the process is gone
  }
}

/** kafkajs WARN/ERROR log lines, printed at the end so client/broker incompatibilities are visible. */
const kafkajsWarnings: string[] = [];

/** As `admin`: of the broker started here, or as the KAFKA_* variables say for KAFKA_BROKERS. */
function createKafka(brokers: string[]): Kafka {
  const local = localBroker !== undefined && brokers.join(',') === localBroker.brokers.join(',') ? localBroker.security : undefined;
  return new Kafka({
    clientId: `smoke-${runId}`,
    brokers,
    ...kafkaClientSecurity(readKafkaSecurity(local ? kafkaClientEnv(local, 'admin') : process.env)),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, label, log }: LogEntry) => {
        if (level > logLevel.WARN) return;
        const { error } = log as { error?: unknown };
        kafkajsWarnings.push(`${label} [${namespace}] ${log.message}${error === undefined ? '' : `: ${String(error)}`}`);
      },
  });
}

/**
 * A fresh broker creates __consumer_offsets on the first group request; kafkajs' default backoff
 * (300 ms, doubling) turns that second into several. Admin only: on an idempotent producer, bounded
 * retries make kafkajs warn about exactly-once guarantees.
 */
function createAdmin(kafka: Kafka): Admin {
  return kafka.admin({ retry: { initialRetryTime: 100, retries: 8 } });
}

/**
 * Some admin calls (fetchOffsets) do not retry by themselves; right after a broker start the group
 * coordinator may still be loading __consumer_offsets and answers with a retriable error.
 */
async function retryRetriable<T>(operation: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== true || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const clients: Array<{ disconnect(): Promise<void> }> = [];

async function disconnectAll(): Promise<void> {
  await Promise.allSettled(clients.splice(0).map((client) => client.disconnect()));
}

beforeAll(async () => {
  if (runLocalBroker) localBroker = await startLocalBroker();
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await disconnectAll();
  if (localBroker !== undefined) await localBroker.stop();
  if (dataDir !== undefined) await fs.rm(dataDir, { recursive: true, force: true });
  report(
    kafkajsWarnings.length === 0
      ? 'kafkajs logged no warnings'
      : `kafkajs warnings/errors (${kafkajsWarnings.length}):\n  ${kafkajsWarnings.join('\n  ')}`,
  );
}, HOOK_TIMEOUT_MS);

describe('kafkajs 2.2.4 smoke', () => {
  const topic = `smoke.orders.${runId}`;
  const missingTopic = `smoke.missing.${runId}`;
  const groupId = `smoke-group-${runId}`;
  const MESSAGE_COUNT = 120;
  const KEY_COUNT = 24;

  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    const brokers = externalBrokers ?? localBroker?.brokers;
    if (brokers === undefined) throw new Error('no brokers: KAFKA_BROKERS unset and no local broker');
    report(`kafkajs smoke against ${brokers.join(',')}${externalBrokers ? ' (KAFKA_BROKERS)' : ' (local broker)'}`);
    kafka = createKafka(brokers);
    admin = createAdmin(kafka);
    clients.push(admin);
    await admin.connect();
    producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    clients.push(producer);
    await producer.connect();
  }, HOOK_TIMEOUT_MS);

  afterAll(disconnectAll);

  it('creates a 6-partition topic and describes it', async () => {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 6, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    expect(created).toBe(true);

    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics).toHaveLength(1);
    const partitions = [...topics[0].partitions].sort((a, b) => a.partitionId - b.partitionId);
    expect(partitions.map((p) => p.partitionId)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const partition of partitions) {
      expect(partition.leader).toBeGreaterThanOrEqual(0);
      expect(partition.replicas).toHaveLength(1);
      expect(partition.isr).toEqual(partition.replicas);
    }

    const cluster = await admin.describeCluster();
    expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
    expect(cluster.clusterId).toBeTruthy();
  });

  it('sends keyed messages with an idempotent producer (acks=all)', async () => {
    const messages = Array.from({ length: MESSAGE_COUNT }, (_, i) => ({
      key: `order-${i % KEY_COUNT}`,
      value: JSON.stringify({ seq: i, runId }),
      headers: { 'x-seq': String(i) },
    }));
    const metadata = await producer.send({ topic, acks: -1, messages });
    expect(metadata.every((record) => record.errorCode === 0)).toBe(true);

    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((sum, p) => sum + (Number(p.high) - Number(p.low)), 0);
    expect(total).toBe(MESSAGE_COUNT);
  });

  it('consumes everything in a group without auto-commit and commits explicitly', async () => {
    // A short fetch long-poll: disconnect() waits for the in-flight fetch (default up to 5 s).
    const consumer: Consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
    clients.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });

    const received: Array<{ partition: number; offset: string; key: string; seq: number }> = [];
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const value = JSON.parse(message.value?.toString() ?? '{}') as { seq: number };
        received.push({ partition, offset: message.offset, key: message.key?.toString() ?? '', seq: value.seq });
      },
    });
    await waitFor(() => received.length >= MESSAGE_COUNT, {
      timeoutMs: 45_000,
      description: `${MESSAGE_COUNT} messages from ${topic}`,
    });
    expect(received).toHaveLength(MESSAGE_COUNT);
    expect(new Set(received.map((m) => m.seq)).size).toBe(MESSAGE_COUNT);

    // Keyed partitioning: one partition per key.
    const partitionsByKey = new Map<string, Set<number>>();
    for (const message of received) {
      const set = partitionsByKey.get(message.key) ?? new Set<number>();
      set.add(message.partition);
      partitionsByKey.set(message.key, set);
    }
    expect(partitionsByKey.size).toBe(KEY_COUNT);
    for (const set of partitionsByKey.values()) expect(set.size).toBe(1);
    // The fixed keys hash onto all six partitions, so every partition gets a commit below.
    expect(new Set(received.map((m) => m.partition)).size).toBe(6);

    // Commit "next offset to read" per partition, as Kafka expects.
    const nextOffsets = new Map<number, bigint>();
    for (const { partition, offset } of received) {
      const next = BigInt(offset) + 1n;
      if ((nextOffsets.get(partition) ?? -1n) < next) nextOffsets.set(partition, next);
    }
    await consumer.commitOffsets(
      [...nextOffsets].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() })),
    );

    const [committed] = await retryRetriable(() => admin.fetchOffsets({ groupId, topics: [topic] }));
    const highWatermarks = await admin.fetchTopicOffsets(topic);
    const byPartition = (entries: Array<{ partition: number; offset: string }>): Record<number, string> =>
      Object.fromEntries(entries.map((entry) => [entry.partition, entry.offset]));
    expect(committed.topic).toBe(topic);
    expect(byPartition(committed.partitions)).toEqual(
      byPartition(highWatermarks.map((p) => ({ partition: p.partition, offset: p.high }))),
    );

    await consumer.disconnect();
  });

  it('does not auto-create a topic that a producer writes to', async () => {
    const cluster = await admin.describeCluster();
    const nodeId = cluster.brokers[0]?.nodeId ?? cluster.controller ?? 1;
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.BROKER, name: String(nodeId) }],
      includeSynonyms: false,
    });
    const autoCreate = resources[0].configEntries.find((entry) => entry.configName === 'auto.create.topics.enable');
    expect(autoCreate?.configValue).toBe('false');

    // Few retries: the failure is certain, only its speed matters.
    const eagerProducer = kafka.producer({
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
    });
    clients.push(eagerProducer);
    await eagerProducer.connect();
    await expect(
      eagerProducer.send({ topic: missingTopic, acks: -1, messages: [{ key: 'k', value: 'v' }] }),
    ).rejects.toThrow(/does not host this topic-partition/);
    await eagerProducer.disconnect();

    expect(await admin.listTopics()).not.toContain(missingTopic);
  });
});

describeRunner('startKafkaBroker (local runner)', () => {
  const topic = `runner.events.${runId}`;
  const groupId = `runner-group-${runId}`;

  async function withAdmin<T>(broker: RunningKafkaBroker, use: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = createAdmin(createKafka(broker.brokers));
    await admin.connect();
    try {
      return await use(admin);
    } finally {
      await admin.disconnect();
    }
  }

  function running(): RunningKafkaBroker {
    if (localBroker === undefined) throw new Error('local broker not started');
    return localBroker;
  }

  it('starts KRaft combined mode on 127.0.0.1 with the pinned Kafka version', async () => {
    const broker = running();
    expect(broker.kafkaVersion).toBe(KAFKA_VERSION);
    expect(broker.brokers).toEqual([`127.0.0.1:${broker.port}`]);
    const properties = await fs.readFile(path.join(broker.dataDir, 'server.properties'), 'utf8');
    expect(properties).toContain('process.roles=broker,controller');
    expect(properties).toContain('auto.create.topics.enable=false');
    // Secured by default (issue 13): SASL_SSL clients, mutual TLS controllers, deny unless an ACL allows.
    expect(properties).toContain('listener.security.protocol.map=CLIENT:SASL_SSL,CONTROLLER:SSL');
    expect(properties).toContain('allow.everyone.if.no.acl.found=false');
    // It holds the keystore password and the inter-broker login.
    expect((await fs.stat(path.join(broker.dataDir, 'server.properties'))).mode & 0o077).toBe(0);
    const rss = await rssMb(broker.pid);
    if (rss !== undefined) report(`broker RSS after start: ${rss} MB`);
  });

  it('runs Kafka CLI tools on the same jars (TopicCommand)', async () => {
    const bootstrap = running().brokers.join(',');
    const login = ['--command-config', await adminClientProperties(running().security!)];
    const created = await runKafkaTool(KAFKA_TOOL_CLASSES.topics, [
      '--bootstrap-server',
      bootstrap,
      ...login,
      '--create',
      '--topic',
      topic,
      '--partitions',
      '3',
      '--replication-factor',
      '1',
    ]);
    expect(created.stderr).not.toMatch(/Exception|ERROR/);
    expect(created.code).toBe(0);

    const described = await runKafkaTool(KAFKA_TOOL_CLASSES.topics, ['--bootstrap-server', bootstrap, ...login, '--describe', '--topic', topic]);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/PartitionCount:\s*3/);
  });

  it('keeps topics, records and committed offsets across a restart on the same data dir', async () => {
    const before = running();
    await withAdmin(before, async (admin) => {
      const producer = createKafka(before.brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { key: 'c', value: '3' }] });
      await producer.disconnect();
      const partitions = (await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => ({ partition, offset: high }));
      await retryRetriable(() => admin.setOffsets({ groupId, topic, partitions }));
    });

    await before.stop();
    expect(isProcessAlive(before.pid)).toBe(false);

    // port 0 again: the restarted broker may listen elsewhere; the data must still be there.
    const after = await startLocalBroker();
    localBroker = after;
    expect(after.dataDir).toBe(before.dataDir);
    await withAdmin(after, async (admin) => {
      expect(await admin.listTopics()).toContain(topic);
      // Right after a restart the partitions may not have a leader yet ("not the leader", retriable).
      const highWatermarks = await retryRetriable(() => admin.fetchTopicOffsets(topic));
      expect(highWatermarks.reduce((sum, p) => sum + Number(p.high), 0)).toBe(3);
      const [committed] = await retryRetriable(() => admin.fetchOffsets({ groupId, topics: [topic] }));
      expect(committed.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)).toBe(3);
    });
  });

  it('stop() shuts the broker down cleanly and is idempotent', async () => {
    const broker = running();
    const stoppingAt = Date.now();
    await Promise.all([broker.stop(), broker.stop()]);
    report(`broker stopped in ${Date.now() - stoppingAt} ms`);
    expect(isProcessAlive(broker.pid)).toBe(false);
    expect(await fs.readFile(broker.logFile, 'utf8')).toMatch(/BrokerServer id=1\] shut down completed/);
    await broker.stop();
  });
});
