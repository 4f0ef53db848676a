import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { findFreePort, isPortFree, LOOPBACK_HOST } from './free-port';
import type { Binaries } from './postgres-binaries';
import { logSize, readLogTail } from './postgres-log';
import { spawnIdentity, type RunAs } from './postgres-os-user';
import { childEnv, stopChild } from './postgres-process';
import { DEFAULT_POSTGRES_PORT } from './postgres-settings';
import { describeExit, waitFor, WaitTimeoutError, type ProcessExit } from './process-utils';

const READY_TIMEOUT_MS = 60_000;

export interface LaunchParams {
  binaries: Binaries;
  clusterDir: string;
  runAs: RunAs | undefined;
  logFd: number;
  logFile: string;
  /** undefined: the default port; 0: any free port. */
  port: number | undefined;
  /** Server settings passed as `-c name=value` after the defaults below (a later `-c` wins). */
  settings?: Readonly<Record<string, string>>;
  progress: (message: string) => void;
}

export interface Launched {
  child: ChildProcess;
  port: number;
}

class PortTakenError extends Error {}

/** Starts postgres on the requested port (or a free one, picked again if taken meanwhile) and waits until it is ready. */
export async function launchWithPort(params: LaunchParams): Promise<Launched> {
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
  const extra = Object.entries(params.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  progress(`starting PostgreSQL on ${LOOPBACK_HOST}:${port}…`);
  const logStart = await logSize(logFile);
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
      // integration tests and the audit's temporary copies. Each slot is streamed by a walsender
      // for as long as its relay runs: one per service (3), a standby instance's attempts a moment
      // each, and one per reader an integration spec keeps open (a dozen in wal-outbox.int.spec.ts,
      // with other specs running beside it): the default max_wal_senders (10) is too few. A slot
      // nobody reads keeps its WAL without bound (max_slot_wal_keep_size stays -1): the WAL is then
      // the outbox's buffer, as the table was.
      '-c',
      'wal_level=logical',
      '-c',
      'max_replication_slots=128',
      '-c',
      'max_wal_senders=64',
      ...extra,
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
  let exited: ProcessExit | undefined;
  let spawnError: Error | undefined;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  child.once('error', (error) => (spawnError = error));

  const lockFile = path.join(clusterDir, 'postmaster.pid');
  let outcome: 'ready' | 'ended';
  try {
    // waitFor retries a probe that throws, so a server that ended is a result, thrown below.
    outcome = await waitFor(async () => (spawnError || exited ? 'ended' : (await isReady(lockFile, child.pid)) && 'ready'), {
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 25,
      description: `PostgreSQL on ${LOOPBACK_HOST}:${port} to be ready`,
    });
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
    await stopChild(child);
    throw new Error(
      `PostgreSQL did not become ready within ${READY_TIMEOUT_MS} ms.\n${await readLogTail(logFile, logStart)}`,
    );
  }
  if (outcome === 'ready') return { child, port };
  if (spawnError) throw new Error(`could not run ${binaries.postgres}: ${spawnError.message}`);
  // Ended without a spawn error: it exited.
  const tail = await readLogTail(logFile, logStart);
  const message = `PostgreSQL failed to start on ${LOOPBACK_HOST}:${port} (${describeExit(exited!)}).\n${tail}`;
  throw /could not bind|Address already in use/i.test(tail) ? new PortTakenError(message) : new Error(message);
}

/** Same readiness signal pg_ctl uses: the postmaster writes "ready" into line 8 of postmaster.pid. */
async function isReady(lockFile: string, pid: number | undefined): Promise<boolean> {
  const text = await fs.readFile(lockFile, 'utf8').catch(() => '');
  const lines = text.split('\n');
  return Number.parseInt(lines[0] ?? '', 10) === pid && lines[7]?.trim() === 'ready';
}
