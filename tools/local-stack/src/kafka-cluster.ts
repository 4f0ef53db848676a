import fs from 'node:fs/promises';
import path from 'node:path';
import { findFreePort, LOOPBACK_HOST } from './free-port';
import {
  assertPortFree,
  findJava,
  KAFKA_TOOL_CLASSES,
  KAFKA_VERSION,
  KafkaNodeStartError,
  launchKafkaNode,
  nodeSecurityOf,
  readOrCreateClusterId,
  resolveBrokerSecurity,
  resolveKafkaClasspath,
  runKafkaTool,
  type ProgressListener,
} from './kafka-broker';
import { applyKafkaAccess } from './kafka-access';
import { renderServerProperties, replicationForNodes, type KafkaVoter, type PropertyValue } from './kafka-properties';
import { adminClientProperties, type KafkaSecurityMaterial } from './kafka-security';
import type { ManagedProcess } from './process-utils';

export interface KafkaClusterOptions {
  /** Holds cluster.id and one folder per node, `node-<id>/` (server.properties, broker.log, logs/). Reusable. */
  dataDir: string;
  /** Combined controller + broker nodes, ids 1…N, every one a voter; default 3. */
  nodes?: number;
  /** Client (SASL_SSL, or PLAINTEXT with security 'plaintext') ports on 127.0.0.1, one per node; default: free ports. */
  ports?: readonly number[];
  /** Controller ports, one per node; default: free ports. Kept for the cluster's life: a restarted node reuses its own. */
  controllerPorts?: readonly number[];
  /** JVM heap of each node (-Xms = -Xmx); default 384 (three of them share a small machine). */
  heapMb?: number;
  /** Set in every node's server.properties over the generated values, e.g. a shorter `broker.session.timeout.ms` for fault tests. */
  brokerProperties?: Readonly<Record<string, PropertyValue>>;
  /** For the whole cluster to start (every node waits for a quorum); default 120 000 ms, not counting the first-run jar download. */
  startTimeoutMs?: number;
  /** As startKafkaBroker's: secured by default with the material of kafkaSecurityDir(); 'plaintext' for none. */
  security?: KafkaSecurityMaterial | 'plaintext';
  onProgress?: ProgressListener;
}

/** One node of a running cluster, for tests that crash, freeze or restart it. */
export interface KafkaClusterNode {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  /** `127.0.0.1:<port>`. */
  readonly broker: string;
  readonly dataDir: string;
  /** stdout/stderr of the node, appended across restarts. */
  readonly logFile: string;
  /** The current process id; undefined while the node is down. */
  pid(): number | undefined;
  isRunning(): boolean;
  /** Frozen by pause() and not resumed yet. */
  isPaused(): boolean;
  /** Starts the node again on the same ports and data dir; resolves once it serves. No-op while running. */
  start(): Promise<void>;
  /** Clean shutdown: SIGTERM (after SIGCONT if frozen), SIGKILL after 20 s. */
  stop(): Promise<void>;
  /** kill -9: no shutdown at all. */
  kill(): Promise<void>;
  /** SIGSTOP: the process stays, answers nothing, misses its heartbeats. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
}

export interface RunningKafkaCluster {
  /** Bootstrap servers, every node's client listener. */
  brokers: string[];
  nodes: KafkaClusterNode[];
  clusterId: string;
  dataDir: string;
  kafkaVersion: string;
  /** What the nodes were configured with (replicationForNodes). */
  replicationFactor: number;
  minInsyncReplicas: number;
  /** The CA and logins clients use (kafkaClientEnv); undefined when started with security 'plaintext'. */
  security: KafkaSecurityMaterial | undefined;
  node(nodeId: number): KafkaClusterNode;
  /** Stops every node (in parallel). Idempotent. */
  stop(): Promise<void>;
}

const noProgress: ProgressListener = () => undefined;

class ClusterNode implements KafkaClusterNode {
  private process: ManagedProcess | undefined;
  private paused = false;
  private starting: Promise<void> | undefined;

  constructor(
    readonly nodeId: number,
    readonly port: number,
    readonly controllerPort: number,
    readonly dataDir: string,
    private readonly launch: () => Promise<ManagedProcess>,
  ) {}

  get broker(): string {
    return `${LOOPBACK_HOST}:${this.port}`;
  }

  get logFile(): string {
    return path.join(this.dataDir, 'broker.log');
  }

  pid(): number | undefined {
    return this.isRunning() ? this.process!.pid : undefined;
  }

  isRunning(): boolean {
    return this.process !== undefined && this.process.exitStatus() === undefined;
  }

  isPaused(): boolean {
    return this.paused && this.isRunning();
  }

  start(): Promise<void> {
    if (this.isRunning()) return Promise.resolve();
    this.starting ??= (async () => {
      try {
        this.paused = false;
        this.process = await this.launch();
      } finally {
        this.starting = undefined;
      }
    })();
    return this.starting;
  }

  async stop(): Promise<void> {
    const running = this.process;
    if (running === undefined) return;
    if (this.paused) this.resume();
    await running.stop({ signal: 'SIGTERM', timeoutMs: 20_000 });
  }

  async kill(): Promise<void> {
    const running = this.process;
    if (running === undefined) return;
    await running.stop({ signal: 'SIGKILL', timeoutMs: 5_000 });
    this.paused = false;
  }

  pause(): void {
    this.signal('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.signal('SIGCONT');
    this.paused = false;
  }

  private signal(name: NodeJS.Signals): void {
    const pid = this.pid();
    if (pid === undefined) throw new Error(`Kafka node ${this.nodeId} is not running`);
    process.kill(pid, name);
  }
}

async function pickPorts(count: number, given: readonly number[] | undefined, avoid: Set<number>, role: string): Promise<number[]> {
  if (given !== undefined) {
    if (given.length !== count) throw new Error(`${count} ${role} ports needed, got ${given.length} (${given.join(', ')})`);
    for (const port of given) {
      if (avoid.has(port)) throw new Error(`${role} port ${port} is used twice`);
      avoid.add(port);
    }
    return [...given];
  }
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await findFreePort(LOOPBACK_HOST);
    if (avoid.has(port)) continue;
    avoid.add(port);
    ports.push(port);
  }
  return ports;
}

/**
 * Starts a KRaft cluster of N combined controller + broker nodes from the official jars (the same
 * ones as startKafkaBroker), every node a voter of a static quorum, one data dir per node, one
 * cluster id, each node formatted on its first start only. Replication follows the size
 * (replicationForNodes: with 3 nodes, every topic 3 replicas and min ISR 2, internal topics too;
 * unclean leader election off). Resolves once every node logs "Kafka Server started" and accepts
 * connections. Nodes are SIGTERMed if this Node process exits without calling stop().
 */
export async function startKafkaCluster(options: KafkaClusterOptions): Promise<RunningKafkaCluster> {
  const onProgress = options.onProgress ?? noProgress;
  const count = options.nodes ?? 3;
  const { replicationFactor, minInsyncReplicas } = replicationForNodes(count);
  const dataDir = path.resolve(options.dataDir);
  const heapMb = options.heapMb ?? 384;
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;

  const java = await findJava();
  const classpath = await resolveKafkaClasspath(onProgress);
  await fs.mkdir(dataDir, { recursive: true });
  const clusterId = await readOrCreateClusterId(dataDir);
  const security = await resolveBrokerSecurity(options.security, onProgress);

  const portsArePicked = options.ports === undefined || options.controllerPorts === undefined;
  const maxAttempts = portsArePicked ? 3 : 1;
  for (let attempt = 1; ; attempt += 1) {
    const taken = new Set<number>();
    const ports = await pickPorts(count, options.ports, taken, 'client');
    const controllerPorts = await pickPorts(count, options.controllerPorts, taken, 'controller');
    for (let index = 0; index < count; index++) {
      await assertPortFree(ports[index], `node ${index + 1} client`);
      await assertPortFree(controllerPorts[index], `node ${index + 1} controller`);
    }
    const voters: KafkaVoter[] = controllerPorts.map((controllerPort, index) => ({ nodeId: index + 1, controllerPort }));
    const nodes = voters.map(({ nodeId, controllerPort }) => {
      const port = ports[nodeId - 1];
      const nodeDir = path.join(dataDir, `node-${nodeId}`);
      const properties = renderServerProperties({
        nodeId,
        logDirs: path.join(nodeDir, 'logs'),
        port,
        voters,
        security: security && nodeSecurityOf(security),
        overrides: options.brokerProperties,
      });
      return new ClusterNode(nodeId, port, controllerPort, nodeDir, () =>
        launchKafkaNode({
          java,
          classpath,
          nodeDir,
          clusterId,
          port,
          controllerPort,
          properties,
          security,
          heapMb,
          startTimeoutMs,
          label: `node ${nodeId}`,
          onProgress,
        }),
      );
    });

    // All at once: a node only reports "started" once a majority of the voters runs.
    const started = await Promise.allSettled(nodes.map((node) => node.start()));
    const failures = started.filter((result): result is PromiseRejectedResult => result.status === 'rejected').map((result) => result.reason as unknown);
    if (failures.length > 0) {
      await Promise.allSettled(nodes.map((node) => node.stop()));
      const portClash = failures.some((error) => error instanceof KafkaNodeStartError && error.portClash);
      if (portClash && attempt < maxAttempts) {
        onProgress(`port taken while starting; retrying with new ports (attempt ${attempt + 1}/${maxAttempts})…`);
        continue;
      }
      throw failures[0];
    }
    if (security) {
      try {
        await applyKafkaAccess(
          nodes.map((node) => node.broker),
          security,
          { partitions: 6, replicationFactor, minInsyncReplicas },
        );
      } catch (error) {
        await Promise.allSettled(nodes.map((node) => node.stop()));
        throw new Error(`the Kafka cluster started but its ACLs and topics could not be set up (logs in ${dataDir}/node-*/broker.log): ${(error as Error).message}`, { cause: error });
      }
    }

    let stopping: Promise<void> | undefined;
    return {
      brokers: nodes.map((node) => node.broker),
      nodes,
      clusterId,
      dataDir,
      kafkaVersion: KAFKA_VERSION,
      replicationFactor,
      minInsyncReplicas,
      security,
      node(nodeId: number) {
        const node = nodes.find((candidate) => candidate.nodeId === nodeId);
        if (node === undefined) throw new Error(`no Kafka node ${nodeId} (nodes ${nodes.map((each) => each.nodeId).join(', ')})`);
        return node;
      },
      stop() {
        stopping ??= Promise.all(nodes.map((node) => node.stop())).then(() => undefined);
        return stopping;
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// The controller quorum, as `kafka-metadata-quorum describe --status` reports it

export interface QuorumStatus {
  /** The active controller. */
  leaderId: number;
  leaderEpoch: number;
  highWatermark: number;
  /** Voter node ids, ascending. */
  voters: number[];
}

/** Parses the output of `MetadataQuorumCommand … describe --status`. */
export function parseQuorumStatus(output: string): QuorumStatus {
  const field = (name: string): string | undefined => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(output)?.[1]?.trim();
  const leaderId = Number(field('LeaderId'));
  const leaderEpoch = Number(field('LeaderEpoch'));
  const highWatermark = Number(field('HighWatermark'));
  const votersText = field('CurrentVoters');
  if (!Number.isInteger(leaderId) || !Number.isInteger(leaderEpoch) || votersText === undefined) {
    throw new Error(`not a quorum status (no LeaderId, LeaderEpoch or CurrentVoters):\n${output.trim()}`);
  }
  // Kafka 3.x prints `[1,2,3]`; 4.x a JSON list of `{"id": 1, "directoryId": …, "endpoints": […]}`.
  const ids = votersText.includes('"id"') ? [...votersText.matchAll(/"id":\s*(\d+)/g)].map((match) => Number(match[1])) : (votersText.match(/\d+/g) ?? []).map(Number);
  return { leaderId, leaderEpoch, highWatermark, voters: [...new Set(ids)].sort((a, b) => a - b) };
}

/**
 * The controller quorum of the cluster behind `bootstrapServers` (any live broker answers): its
 * leader, the active controller (as `admin` on a secured cluster). Runs Kafka's own MetadataQuorumCommand on the cached jars (a JVM,
 * a few seconds); throws if it fails.
 */
export async function describeQuorum(bootstrapServers: readonly string[], timeoutMs = 60_000, security?: KafkaSecurityMaterial): Promise<QuorumStatus> {
  const commandConfig = security ? ['--command-config', await adminClientProperties(security)] : [];
  const result = await runKafkaTool(KAFKA_TOOL_CLASSES.metadataQuorum, ['--bootstrap-server', bootstrapServers.join(','), ...commandConfig, 'describe', '--status'], {
    timeoutMs,
    heapMb: 128,
    jvmArgs: ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'],
  });
  if (result.code !== 0) throw new Error(`kafka-metadata-quorum describe --status failed (exit code ${result.code}): ${`${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-10).join('\n')}`);
  return parseQuorumStatus(result.stdout);
}
