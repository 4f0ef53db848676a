import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Binaries } from './postgres-binaries';
import { logSize, readLogTail } from './postgres-log';
import { spawnIdentity, type RunAs } from './postgres-os-user';
import { childEnv, waitForExit } from './postgres-process';
import { POSTGRES_PASSWORD, POSTGRES_USER } from './postgres-settings';
import { describeExit } from './process-utils';

export interface InitialiseParams {
  binaries: Binaries;
  dataDir: string;
  clusterDir: string;
  runAs: RunAs | undefined;
  logFd: number;
  logFile: string;
  progress: (message: string) => void;
}

/** Creates the cluster (role and password, UTF-8, locale-independent) with initdb, all or nothing. */
export async function initialiseCluster(params: InitialiseParams): Promise<void> {
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
  const logStart = await logSize(logFile);
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
    const exit = await waitForExit(child);
    if (exit.code !== 0) {
      throw new Error(
        `PostgreSQL initdb failed (${describeExit(exit)}).\n${await readLogTail(logFile, logStart)}`,
      );
    }
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
  await fs.rm(clusterDir, { recursive: true, force: true });
  await fs.rename(staging, clusterDir);
}
