import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { hasErrorCode } from './postgres-errors';
import { killQuietly, STOP_STEPS } from './postgres-process';
import { isProcessAlive, waitFor, WaitTimeoutError } from './process-utils';

/** Node pid that owns the running server; tells an orphan (owner dead) from a server in use. */
export const OWNER_FILE = 'owner.pid';

const execFileAsync = promisify(execFile);

interface PostmasterLock {
  pid: number;
  port: number | undefined;
}

/**
 * Deals with a postmaster.pid left behind. postgres itself ignores one whose pid is dead, but not one
 * whose pid was reused by another process (common in containers), and it cannot start while an
 * orphaned server (parent killed with SIGKILL) still runs on the same cluster.
 */
export async function reclaimStaleServer(dataDir: string, clusterDir: string, progress: (message: string) => void): Promise<void> {
  const lockFile = path.join(clusterDir, 'postmaster.pid');
  const lock = await readPostmasterLock(lockFile);
  if (!lock) return;
  if (!isProcessAlive(lock.pid) || !(await isPostmasterOf(lock.pid, clusterDir))) {
    progress(`removing stale ${lockFile} (pid ${lock.pid} is not running PostgreSQL)…`);
    await fs.rm(lockFile, { force: true });
    return;
  }
  const owner = await readPid(path.join(dataDir, OWNER_FILE));
  if (owner !== undefined && owner !== process.pid && isProcessAlive(owner)) {
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
    if (hasErrorCode(error, 'ENOENT')) return undefined;
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

/** STOP_STEPS (fast, immediate shutdown, SIGKILL) on a process we did not start; true once it is gone. */
async function terminate(pid: number): Promise<boolean> {
  for (const [signal, timeoutMs] of STOP_STEPS) {
    killQuietly(pid, signal);
    try {
      return await waitFor(() => !isProcessAlive(pid), { timeoutMs, intervalMs: 50, description: `process ${pid} to exit after ${signal}` });
    } catch (error) {
      if (!(error instanceof WaitTimeoutError)) throw error;
    }
  }
  return !isProcessAlive(pid);
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
