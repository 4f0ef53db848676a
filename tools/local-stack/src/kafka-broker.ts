import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { findFreePort, isPortFree, LOOPBACK_HOST, waitForPort } from './free-port';
import { applyKafkaAccess } from './kafka-access';
import { renderServerProperties, replicationForNodes, type KafkaNodeSecurity } from './kafka-properties';
import { BROKER_CERTIFICATE_DN, kafkaSecurityDir, readOrCreateKafkaSecurity, type KafkaSecurityMaterial } from './kafka-security';
import {
  findExecutable,
  ProcessExitedError,
  runCommand,
  spawnManaged,
  type CommandResult,
  type ManagedProcess,
} from './process-utils';

/** Must equal <kafka.version> in tools/local-stack/kafka/pom.xml (checked before resolving jars). */
export const KAFKA_VERSION = '4.1.2';

/** Main classes for runKafkaTool(). */
export const KAFKA_TOOL_CLASSES = {
  storage: 'kafka.tools.StorageTool',
  topics: 'org.apache.kafka.tools.TopicCommand',
  consumerGroups: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  producerPerformance: 'org.apache.kafka.tools.ProducerPerformance',
  consumerPerformance: 'org.apache.kafka.tools.ConsumerPerformance',
  metadataQuorum: 'org.apache.kafka.tools.MetadataQuorumCommand',
} as const;

const REPO_ROOT = path.resolve(__dirname, '../../..');
const KAFKA_ASSETS_DIR = path.resolve(__dirname, '../kafka');
export const KAFKA_POM_FILE = path.join(KAFKA_ASSETS_DIR, 'pom.xml');
export const KAFKA_LOG4J2_CONFIG_FILE = path.join(KAFKA_ASSETS_DIR, 'log4j2.yaml');

const MIN_JAVA_MAJOR = 17;
const DOWNLOAD_SIZE_HINT = '~65 MB';
const ALTERNATIVES_HINT =
  'or set KAFKA_BROKERS=host:port to use an existing Kafka cluster, or start Kafka with docker/compose.yaml';

export class JavaNotFoundError extends Error {
  constructor(detail: string) {
    super(
      `The local Kafka broker needs Java ${MIN_JAVA_MAJOR}+, but ${detail}. ` +
        `Install a JDK ${MIN_JAVA_MAJOR}+ (e.g. apt-get install openjdk-17-jre-headless) or point JAVA_HOME at one, ` +
        `${ALTERNATIVES_HINT}.`,
    );
    this.name = 'JavaNotFoundError';
  }
}

export class MavenNotFoundError extends Error {
  constructor(detail: string) {
    super(
      `Maven is needed once to download the Kafka ${KAFKA_VERSION} jars, but ${detail}. ` +
        `Install Maven 3.6+ (e.g. apt-get install maven), ${ALTERNATIVES_HINT}.`,
    );
    this.name = 'MavenNotFoundError';
  }
}

export type ProgressListener = (message: string) => void;

const noProgress: ProgressListener = () => undefined;

/** `KAFKA_BROKERS` (comma-separated host:port list) if set and non-empty. */
export function kafkaBrokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  return brokers.length > 0 ? brokers : undefined;
}

/** `<RELAY_CACHE_DIR or <repo>/.relay>/kafka/<version>`: jars and the stamp saying they are complete. */
export function kafkaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheRoot = env.RELAY_CACHE_DIR ? path.resolve(env.RELAY_CACHE_DIR) : path.join(REPO_ROOT, '.relay');
  return path.join(cacheRoot, 'kafka', KAFKA_VERSION);
}

// ---------------------------------------------------------------------------------------------------
// Java and Maven discovery

let javaLookup: Promise<string> | undefined;

/** Path of a Java 17+ executable (JAVA_HOME first, then PATH); throws JavaNotFoundError. */
export function findJava(): Promise<string> {
  javaLookup ??= locateJava().catch((error: unknown) => {
    javaLookup = undefined; // let a later call see a freshly installed JDK
    throw error;
  });
  return javaLookup;
}

async function locateJava(): Promise<string> {
  const javaHome = process.env.JAVA_HOME;
  const java = javaHome
    ? await findExecutable(path.join(javaHome, 'bin', process.platform === 'win32' ? 'java.exe' : 'java'))
    : await findExecutable('java');
  if (java === undefined) {
    throw new JavaNotFoundError(
      javaHome ? `JAVA_HOME=${javaHome} contains no bin/java` : 'no `java` executable was found on PATH',
    );
  }
  let result: CommandResult;
  try {
    result = await runCommand(java, ['-version'], { timeoutMs: 30_000 });
  } catch (error) {
    throw new JavaNotFoundError(`${java} -version failed (${(error as Error).message})`);
  }
  // `java -version` prints to stderr: `openjdk version "17.0.15" ...` or `java version "1.8.0_392"`.
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr + result.stdout);
  if (result.code !== 0 || match === null) {
    throw new JavaNotFoundError(`${java} -version did not report a version (exit code ${result.code})`);
  }
  const major = match[1] === '1' ? Number(match[2]) : Number(match[1]);
  if (major < MIN_JAVA_MAJOR) throw new JavaNotFoundError(`${java} is Java ${major}`);
  return java;
}

async function findMaven(): Promise<string> {
  const mvn = await findExecutable(process.platform === 'win32' ? 'mvn.cmd' : 'mvn');
  if (mvn === undefined) throw new MavenNotFoundError('no `mvn` executable was found on PATH');
  return mvn;
}

// ---------------------------------------------------------------------------------------------------
// Jar resolution

interface LibsStamp {
  kafkaVersion: string;
  /** The jar set is only valid for the POM it was resolved from (e.g. a log4j bump invalidates it). */
  pomSha256: string;
  jarCount: number;
  resolvedAt: string;
}

async function readStamp(file: string): Promise<LibsStamp | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as LibsStamp;
  } catch {
    return undefined;
  }
}

async function isCacheValid(stampFile: string, libsDir: string, pomSha256: string): Promise<boolean> {
  const stamp = await readStamp(stampFile);
  if (stamp === undefined || stamp.kafkaVersion !== KAFKA_VERSION || stamp.pomSha256 !== pomSha256) return false;
  try {
    const jars = (await fs.readdir(libsDir)).filter((name) => name.endsWith('.jar'));
    return jars.length === stamp.jarCount;
  } catch {
    return false;
  }
}

function classpathFor(libsDir: string): string {
  // The JVM expands `dir/*` to every jar in dir; keeps the command line short.
  return path.join(libsDir, '*');
}

const classpathLookups = new Map<string, Promise<string>>();

/**
 * Returns the java classpath for Kafka's broker and tools, downloading the jars with Maven on the first
 * call for this Kafka version (and POM). Later calls, also in other processes, run no Maven at all.
 */
export function resolveKafkaClasspath(onProgress: ProgressListener = noProgress): Promise<string> {
  const cacheDir = kafkaCacheDir();
  let lookup = classpathLookups.get(cacheDir);
  if (lookup === undefined) {
    lookup = resolveClasspathUncached(cacheDir, onProgress).catch((error: unknown) => {
      classpathLookups.delete(cacheDir);
      throw error;
    });
    classpathLookups.set(cacheDir, lookup);
  }
  return lookup;
}

async function resolveClasspathUncached(cacheDir: string, onProgress: ProgressListener): Promise<string> {
  const pom = await fs.readFile(KAFKA_POM_FILE, 'utf8');
  if (!pom.includes(`<kafka.version>${KAFKA_VERSION}</kafka.version>`)) {
    throw new Error(`${KAFKA_POM_FILE} does not declare <kafka.version>${KAFKA_VERSION}</kafka.version>; update KAFKA_VERSION in ${__filename} together with it`);
  }
  const pomSha256 = createHash('sha256').update(pom).digest('hex');
  const libsDir = path.join(cacheDir, 'libs');
  const stampFile = path.join(cacheDir, 'libs.stamp.json');
  if (await isCacheValid(stampFile, libsDir, pomSha256)) return classpathFor(libsDir);

  await findJava(); // Maven runs on it too; report the missing JDK rather than a Maven failure
  const mvn = await findMaven();
  onProgress(`resolving Kafka ${KAFKA_VERSION} jars with Maven (first run downloads ${DOWNLOAD_SIZE_HINT})…`);

  // Resolve into a private directory and rename at the end, so a crash or a concurrent resolver
  // never leaves a half-filled libs/ that carries a valid stamp.
  await fs.mkdir(cacheDir, { recursive: true });
  const stagingDir = path.join(cacheDir, `libs.staging-${process.pid}-${Date.now()}`);
  try {
    const result = await runCommand(
      mvn,
      [
        '-q',
        '-B',
        '-Dstyle.color=never',
        '-f',
        KAFKA_POM_FILE,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${stagingDir}`,
      ],
      { cwd: KAFKA_ASSETS_DIR, timeoutMs: 15 * 60_000 },
    );
    if (result.code !== 0) {
      const output = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-40).join('\n');
      throw new Error(
        `Maven could not resolve the Kafka ${KAFKA_VERSION} jars (${KAFKA_POM_FILE}, exit code ${result.code}). ` +
          `Maven Central must be reachable (configure a mirror/proxy in ~/.m2/settings.xml if needed), ${ALTERNATIVES_HINT}.\n${output}`,
      );
    }
    const jars = (await fs.readdir(stagingDir)).filter((name) => name.endsWith('.jar'));
    for (const required of [`kafka_2.13-${KAFKA_VERSION}.jar`, `kafka-tools-${KAFKA_VERSION}.jar`]) {
      if (!jars.includes(required)) throw new Error(`Maven finished but ${required} is missing from ${stagingDir}`);
    }
    if (!jars.some((name) => name.startsWith('log4j-core-'))) {
      throw new Error(`Maven finished but no log4j-core jar is in ${stagingDir}; the broker would log nothing`);
    }

    if (!(await isCacheValid(stampFile, libsDir, pomSha256))) {
      await fs.rm(stampFile, { force: true });
      await fs.rm(libsDir, { recursive: true, force: true });
      await fs.rename(stagingDir, libsDir);
      const stamp: LibsStamp = {
        kafkaVersion: KAFKA_VERSION,
        pomSha256,
        jarCount: jars.length,
        resolvedAt: new Date().toISOString(),
      };
      const stampStaging = `${stampFile}.${process.pid}`;
      await fs.writeFile(stampStaging, `${JSON.stringify(stamp, null, 2)}\n`);
      await fs.rename(stampStaging, stampFile);
    }
    return classpathFor(libsDir);
  } finally {
    // Gone already after the rename; still present if we failed or another process won the race.
    await fs.rm(stagingDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// Tools

export interface RunKafkaToolOptions {
  /** Default 256 (what Kafka's own scripts give CLI tools). */
  heapMb?: number;
  /** Kill the tool and reject after this long; default 300 000 ms. */
  timeoutMs?: number;
  /** Written to the tool's stdin. */
  input?: string;
  /** Extra JVM options placed before the main class. */
  jvmArgs?: readonly string[];
  onProgress?: ProgressListener;
}

/**
 * Runs a Kafka CLI main class (see KAFKA_TOOL_CLASSES) on the cached jars. A non-zero exit is returned,
 * not thrown. Log output goes to stderr so stdout holds only the tool's own output.
 */
export async function runKafkaTool(
  mainClass: string,
  args: readonly string[],
  options: RunKafkaToolOptions = {},
): Promise<CommandResult> {
  const java = await findJava();
  const classpath = await resolveKafkaClasspath(options.onProgress);
  return runCommand(
    java,
    [
      `-Xmx${options.heapMb ?? 256}m`,
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${KAFKA_LOG4J2_CONFIG_FILE}`,
      '-Drelay.kafka.log.target=SYSTEM_ERR',
      ...(options.jvmArgs ?? []),
      '-cp',
      classpath,
      mainClass,
      ...args,
    ],
    { timeoutMs: options.timeoutMs ?? 300_000, input: options.input },
  );
}

// ---------------------------------------------------------------------------------------------------
// Broker

export interface KafkaBrokerOptions {
  /** Holds log.dirs (logs/), the generated server.properties, cluster.id and broker.log. Reusable. */
  dataDir: string;
  /** Client listener on 127.0.0.1 (SASL_SSL, or PLAINTEXT with security 'plaintext'); default 9092; 0 picks a free port. */
  port?: number;
  /** KRaft controller listener on 127.0.0.1; default: a free port. */
  controllerPort?: number;
  /** JVM heap (-Xms = -Xmx); default 512. */
  heapMb?: number;
  /** Default 90 000 ms, not counting the first-run jar download. */
  startTimeoutMs?: number;
  /**
   * Default: secured (SASL_SSL, ACLs) with the material of kafkaSecurityDir() (RELAY_KAFKA_SECURITY_DIR,
   * else .relay/kafka-security), made on first use. 'plaintext': no TLS, no logins, no ACLs (bench --insecure).
   */
  security?: KafkaSecurityMaterial | 'plaintext';
  onProgress?: ProgressListener;
}

export interface RunningKafkaBroker {
  /** Bootstrap servers, e.g. ['127.0.0.1:9092']. */
  brokers: string[];
  port: number;
  controllerPort: number;
  pid: number;
  /** stdout/stderr of the broker, appended across restarts. */
  logFile: string;
  dataDir: string;
  kafkaVersion: string;
  /** The CA and logins clients use (kafkaClientEnv); undefined when started with security 'plaintext'. */
  security: KafkaSecurityMaterial | undefined;
  /** SIGTERM, up to 20 s for a clean shutdown, then SIGKILL. Idempotent. */
  stop(): Promise<void>;
}

/** The material a secured node runs with: the option's, or the one of kafkaSecurityDir(). */
export async function resolveBrokerSecurity(security: KafkaSecurityMaterial | 'plaintext' | undefined, onProgress: ProgressListener): Promise<KafkaSecurityMaterial | undefined> {
  if (security === 'plaintext') return undefined;
  return security ?? (await readOrCreateKafkaSecurity(kafkaSecurityDir(), onProgress));
}

/** What renderServerProperties needs of the material. */
export function nodeSecurityOf(material: KafkaSecurityMaterial): KafkaNodeSecurity {
  return {
    keystoreFile: material.keystoreFile,
    truststoreFile: material.truststoreFile,
    storePassword: material.storePassword,
    interBroker: material.users.admin,
    brokerCertificateDn: BROKER_CERTIFICATE_DN,
  };
}

const STARTED_LINE = /Kafka Server started/;
const PORT_CLASH = /Address already in use|BindException/;

/** A KRaft cluster id as Kafka's Uuid.randomUuid() makes it: 16 random bytes, unpadded base64url. */
function generateClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka reserves the all-zero and ...AQ (metadata topic) ids and rejects ids that look like CLI flags.
    if (!id.startsWith('-') && id !== 'AAAAAAAAAAAAAAAAAAAAAA' && id !== 'AAAAAAAAAAAAAAAAAAAAAQ') return id;
  }
}

/** The cluster id kept in `<dataDir>/cluster.id`, created on the first start. */
export async function readOrCreateClusterId(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'cluster.id');
  try {
    const existing = (await fs.readFile(file, 'utf8')).trim();
    if (existing !== '') return existing;
  } catch {
    // First start in this data dir.
  }
  const id = generateClusterId();
  await fs.writeFile(file, `${id}\n`);
  return id;
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

export async function pickPort(requested: number | undefined, fallback: number | 'free', avoid: readonly number[]): Promise<number> {
  if (requested === undefined && fallback !== 'free') return fallback;
  if (requested !== undefined && requested !== 0) return requested;
  for (;;) {
    const port = await findFreePort(LOOPBACK_HOST);
    if (!avoid.includes(port)) return port;
  }
}

export async function assertPortFree(port: number, role: string): Promise<void> {
  if (await isPortFree(port, LOOPBACK_HOST)) return;
  throw new Error(
    `Cannot start the local Kafka broker: ${role} port ${LOOPBACK_HOST}:${port} is already in use ` +
      `(another broker still running?). Stop that process, pass port 0 to pick a free port, or, ` +
      `if it is a Kafka broker you want to use, set KAFKA_BROKERS=${LOOPBACK_HOST}:${port}.`,
  );
}

async function formatStorage(
  java: string,
  classpath: string,
  propertiesFile: string,
  clusterId: string,
  security: KafkaSecurityMaterial | undefined,
  onProgress: ProgressListener,
): Promise<void> {
  onProgress('formatting storage…');
  // The SCRAM logins go into the metadata log at format time (KRaft keeps them there): the brokers
  // need the inter-broker one before any client could add it. On the command line of a one-second JVM.
  const scram = Object.values(security?.users ?? {}).flatMap(({ username, password }) => ['--add-scram', `SCRAM-SHA-512=[name=${username},password=${password}]`]);
  const result = await runCommand(
    java,
    [
      '-Xmx256m',
      // A one-second, one-shot JVM: skip the optimising JIT and the parallel GC threads.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-Dlog4j2.configurationFile=${KAFKA_LOG4J2_CONFIG_FILE}`,
      '-Drelay.kafka.log.target=SYSTEM_ERR',
      '-cp',
      classpath,
      KAFKA_TOOL_CLASSES.storage,
      'format',
      '-t',
      clusterId,
      '-c',
      propertiesFile,
      '--ignore-formatted',
      ...scram,
    ],
    { timeoutMs: 120_000 },
  );
  if (result.code !== 0) {
    throw new Error(
      `Kafka StorageTool format failed (exit code ${result.code}) for ${propertiesFile}:\n${result.stdout}\n${result.stderr}`.trim(),
    );
  }
}

export interface KafkaNodeLaunch {
  java: string;
  classpath: string;
  /** The node's own directory: server.properties, broker.log and logs/ (its log.dirs). */
  nodeDir: string;
  clusterId: string;
  port: number;
  controllerPort: number;
  /** server.properties as renderServerProperties() made it. */
  properties: string;
  heapMb: number;
  startTimeoutMs: number;
  /** Secured nodes: the logins to format the storage with, checked against the data dir's on later starts. */
  security: KafkaSecurityMaterial | undefined;
  /** Extra JVM options (e.g. -XX:ActiveProcessorCount for the nodes of a cluster). */
  jvmArgs?: readonly string[];
  /** What the progress and log lines call it: "broker" or "node 2". */
  label: string;
  onProgress: ProgressListener;
}

/** A node that did not start; `portClash` when one of its ports was taken meanwhile. */
export class KafkaNodeStartError extends Error {
  constructor(
    message: string,
    readonly portClash: boolean,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'KafkaNodeStartError';
  }
}

/**
 * Writes a node's server.properties, formats its storage on its first start, starts it and waits
 * until it logs "Kafka Server started" and accepts connections. On failure the process is stopped
 * and a KafkaNodeStartError thrown.
 */
export async function launchKafkaNode(launch: KafkaNodeLaunch): Promise<ManagedProcess> {
  const { java, classpath, nodeDir, port, controllerPort } = launch;
  const logDirs = path.join(nodeDir, 'logs');
  const propertiesFile = path.join(nodeDir, 'server.properties');
  const logFile = path.join(nodeDir, 'broker.log');
  await fs.mkdir(logDirs, { recursive: true });
  // It holds the keystore password and the inter-broker login.
  await fs.writeFile(propertiesFile, launch.properties, { mode: 0o600 });
  await fs.chmod(propertiesFile, 0o600);
  // Which logins the metadata log was formatted with: a secured start on data formatted otherwise
  // (before issue 13, or with another security dir) would fail at every login, so it is refused here.
  const loginsFile = path.join(nodeDir, 'scram-logins');
  const logins = launch.security ? launch.security.fingerprint : 'none';
  // meta.properties marks a formatted log dir; skipping the format JVM saves ~1 s per restart.
  if (!(await exists(path.join(logDirs, 'meta.properties')))) {
    await formatStorage(java, classpath, propertiesFile, launch.clusterId, launch.security, launch.onProgress);
    await fs.writeFile(loginsFile, `${logins}\n`);
  } else if (launch.security) {
    const formatted = (await fs.readFile(loginsFile, 'utf8').catch(() => 'none')).trim();
    if (formatted !== logins) {
      throw new KafkaNodeStartError(
        `The Kafka data in ${nodeDir} was formatted ${formatted === 'none' ? 'without SCRAM logins (before Kafka ran secured)' : 'with other SCRAM logins'} than those of ${launch.security.dir}. ` +
          `Remove ${nodeDir} (and the PostgreSQL data kept with it, e.g. .relay/postgres) to start afresh.`,
        false,
        { cause: undefined },
      );
    }
  }

  launch.onProgress(`starting ${launch.label} (Kafka ${KAFKA_VERSION}) on ${LOOPBACK_HOST}:${port}…`);
  await fs.appendFile(
    logFile,
    `\n===== ${new Date().toISOString()} starting Kafka ${KAFKA_VERSION}: client ${LOOPBACK_HOST}:${port}, controller ${LOOPBACK_HOST}:${controllerPort} =====\n`,
  );
  const broker = await spawnManaged({
    command: java,
    args: [
      `-Xmx${launch.heapMb}m`,
      `-Xms${launch.heapMb}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${KAFKA_LOG4J2_CONFIG_FILE}`,
      ...(launch.jvmArgs ?? []),
      '-cp',
      classpath,
      'kafka.Kafka',
      propertiesFile,
    ],
    cwd: nodeDir,
    logFile,
    // Ctrl-C on `npm start` must reach the services first: the stack stops the broker after they
    // have left their groups (a consumer leaving waits on the broker until its deadline otherwise).
    ownProcessGroup: true,
  });

  try {
    await waitUntilReady(broker, port, launch.startTimeoutMs);
    return broker;
  } catch (error) {
    await broker.stop({ timeoutMs: 5_000 });
    const portClash = error instanceof ProcessExitedError && broker.tail().some((line) => PORT_CLASH.test(line));
    throw new KafkaNodeStartError(
      `Kafka ${KAFKA_VERSION} ${launch.label} failed to start (data dir ${nodeDir}, full log ${logFile}): ${(error as Error).message}`,
      portClash,
      { cause: error },
    );
  }
}

/**
 * Starts a single-node KRaft Kafka (combined broker + controller) from the official jars, resolving
 * them with Maven on first use. Resolves once the broker logs "Kafka Server started" and accepts TCP
 * connections. The broker is SIGTERMed if this Node process exits without calling stop().
 * startKafkaCluster (kafka-cluster.ts) runs several such nodes as one cluster.
 */
export async function startKafkaBroker(options: KafkaBrokerOptions): Promise<RunningKafkaBroker> {
  const onProgress = options.onProgress ?? noProgress;
  const dataDir = path.resolve(options.dataDir);

  const java = await findJava();
  const classpath = await resolveKafkaClasspath(onProgress);
  await fs.mkdir(dataDir, { recursive: true });
  const clusterId = await readOrCreateClusterId(dataDir);
  const security = await resolveBrokerSecurity(options.security, onProgress);

  // Auto-picked ports can be grabbed by someone else between picking and binding; retry those.
  const portsArePicked = options.port === 0 || options.controllerPort === undefined || options.controllerPort === 0;
  const maxAttempts = portsArePicked ? 3 : 1;
  for (let attempt = 1; ; attempt += 1) {
    const port = await pickPort(options.port, 9092, []);
    const controllerPort = await pickPort(options.controllerPort, 'free', [port]);
    if (port === controllerPort) throw new Error(`port and controllerPort must differ (both ${port})`);
    await assertPortFree(port, 'client');
    await assertPortFree(controllerPort, 'controller');

    let broker: ManagedProcess;
    try {
      broker = await launchKafkaNode({
        java,
        classpath,
        nodeDir: dataDir,
        clusterId,
        port,
        controllerPort,
        properties: renderServerProperties({
          nodeId: 1,
          logDirs: path.join(dataDir, 'logs'),
          port,
          voters: [{ nodeId: 1, controllerPort }],
          security: security && nodeSecurityOf(security),
        }),
        security,
        heapMb: options.heapMb ?? 512,
        startTimeoutMs: options.startTimeoutMs ?? 90_000,
        label: 'broker',
        onProgress,
      });
    } catch (error) {
      if (error instanceof KafkaNodeStartError && error.portClash && attempt < maxAttempts) {
        onProgress(`port taken while starting; retrying with new ports (attempt ${attempt + 1}/${maxAttempts})…`);
        continue;
      }
      throw error;
    }
    const brokers = [`${LOOPBACK_HOST}:${port}`];
    if (security) {
      try {
        await applyKafkaAccess(brokers, security, { partitions: 6, ...replicationForNodes(1) });
      } catch (error) {
        await broker.stop({ signal: 'SIGTERM', timeoutMs: 20_000 });
        throw new Error(`Kafka ${KAFKA_VERSION} broker started but its ACLs and topics could not be set up (log ${path.join(dataDir, 'broker.log')}): ${(error as Error).message}`, { cause: error });
      }
    }

    return {
      brokers,
      port,
      controllerPort,
      pid: broker.pid,
      logFile: path.join(dataDir, 'broker.log'),
      dataDir,
      kafkaVersion: KAFKA_VERSION,
      security,
      stop: async () => {
        await broker.stop({ signal: 'SIGTERM', timeoutMs: 20_000 });
      },
    };
  }
}

async function waitUntilReady(broker: ManagedProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await broker.waitForLine(STARTED_LINE, { timeoutMs, tailLines: 40 });
  await waitForPort(port, {
    host: LOOPBACK_HOST,
    timeoutMs: Math.max(1_000, deadline - Date.now()),
    checkAborted: () => {
      const exit = broker.exitStatus();
      if (exit !== undefined) {
        throw new ProcessExitedError(
          `the broker exited right after starting. Last output:\n${broker.tail(40).join('\n')}`,
          exit,
          broker.tail(40),
        );
      }
    },
  });
}
