import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ensureDatabase, startPostgres, type RunningPostgres } from './postgres-server';

// initdb alone takes about a second; slow CI disks can take far longer.
const SLOW = 120_000;

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function canConnect(url: string): Promise<boolean> {
  try {
    await query(url, 'select 1');
    return true;
  } catch {
    return false;
  }
}

describe('startPostgres', () => {
  let tmp: string;
  let dirCount = 0;
  const started: RunningPostgres[] = [];

  /** Each test gets its own data dir, so any one of them can run alone. */
  function freshDataDir(): string {
    dirCount += 1;
    return path.join(tmp, `postgres-${dirCount}`);
  }

  async function start(dataDir: string, progress: string[] = []): Promise<RunningPostgres> {
    const server = await startPostgres({ dataDir, port: 0, onProgress: (message) => progress.push(message) });
    started.push(server);
    return server;
  }

  /** A data dir with an initialised cluster holding one row in inventory.stock, server stopped. */
  async function seededDataDir(): Promise<string> {
    const dataDir = freshDataDir();
    const server = await start(dataDir);
    await query(server.url, 'create schema inventory');
    await query(server.url, 'create table inventory.stock (sku text primary key, quantity int not null)');
    await query(server.url, "insert into inventory.stock values ('apple', 3)");
    await server.stop();
    return dataDir;
  }

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'relay-postgres-int-'));
  }, SLOW);

  afterAll(async () => {
    await Promise.all(started.map((server) => server.stop()));
    await rm(tmp, { recursive: true, force: true });
  }, SLOW);

  it(
    'initialises a fresh data dir, serves queries, and keeps the data across a restart',
    async () => {
      const dataDir = freshDataDir();
      const firstProgress: string[] = [];
      const first = await start(dataDir, firstProgress);
      expect(first.url).toMatch(/^postgres:\/\/relay:relay@127\.0\.0\.1:\d+\/relay$/);
      expect(first.url).toContain(`:${first.port}/`);
      expect(firstProgress.some((message) => message.startsWith('initialising PostgreSQL data dir'))).toBe(true);
      expect(firstProgress).toContain(`starting PostgreSQL on 127.0.0.1:${first.port}…`);

      expect(await query(first.url, 'select 1 as one')).toEqual([{ one: 1 }]);
      // The WAL outbox reads the WAL through logical replication slots.
      expect(await query(first.url, `select current_setting('wal_level') as wal_level`)).toEqual([{ wal_level: 'logical' }]);
      await query(first.url, 'create schema inventory');
      await query(first.url, 'create table inventory.stock (sku text primary key, quantity int not null)');
      await query(first.url, "insert into inventory.stock values ('apple', 3)");

      await first.stop();
      await first.stop();
      expect(await canConnect(first.url)).toBe(false);

      const secondProgress: string[] = [];
      const second = await start(dataDir, secondProgress);
      expect(secondProgress.some((message) => message.startsWith('initialising'))).toBe(false);
      expect(await query(second.url, 'select sku, quantity from inventory.stock')).toEqual([
        { sku: 'apple', quantity: 3 },
      ]);
      await second.stop();
    },
    SLOW,
  );

  it(
    'ensureDatabase creates a database once and is idempotent, also when calls race',
    async () => {
      const server = await start(freshDataDir());
      const url = await ensureDatabase(server.url, 'relay_orders');
      expect(url).toBe(server.url.replace(/\/relay$/, '/relay_orders'));
      expect(await ensureDatabase(server.url, 'relay_orders')).toBe(url);
      expect(await query(url, 'select current_database() as db')).toEqual([{ db: 'relay_orders' }]);

      const raced = await Promise.all([1, 2, 3].map(() => ensureDatabase(server.url, 'relay_raced')));
      expect(new Set(raced).size).toBe(1);
      expect(await query(raced[0] ?? '', 'select current_database() as db')).toEqual([{ db: 'relay_raced' }]);
      await server.stop();
    },
    SLOW,
  );

  it(
    'starts over a stale postmaster.pid whose pid now belongs to another process',
    async () => {
      const dataDir = await seededDataDir();
      const clusterDir = path.join(dataDir, 'pgdata');
      // This Jest worker is alive but is not PostgreSQL: postgres alone would refuse to start.
      await writeFile(
        path.join(clusterDir, 'postmaster.pid'),
        `${process.pid}\n${clusterDir}\n0\n5999\n\n127.0.0.1\n0 0\nready   \n`,
      );
      const progress: string[] = [];
      const server = await start(dataDir, progress);
      expect(progress.some((message) => message.startsWith('removing stale'))).toBe(true);
      expect(await query(server.url, 'select count(*)::int as n from inventory.stock')).toEqual([{ n: 1 }]);
      await server.stop();
    },
    SLOW,
  );

  it(
    'recovers when the previous owner was killed with SIGKILL',
    async () => {
      const dataDir = await seededDataDir();
      const script = path.join(tmp, 'owner.ts');
      await writeFile(
        script,
        `import { startPostgres } from ${JSON.stringify(path.join(__dirname, 'postgres-server'))};\n` +
          `startPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: 0 }).then((s) => {\n` +
          `  process.stdout.write(s.url + '\\n');\n  setInterval(() => undefined, 1000);\n});\n`,
      );
      // One process (tsx as a loader, not its CLI, which would run the script in a grandchild).
      const repoRoot = path.resolve(__dirname, '../../..');
      const owner = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const ownerUrl = await new Promise<string>((resolve, reject) => {
        let output = '';
        owner.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
          if (output.includes('\n')) resolve(output.trim());
        });
        owner.once('exit', (code) => reject(new Error(`owner exited early (${code ?? 'signal'}): ${output}`)));
      });
      expect(await canConnect(ownerUrl)).toBe(true);

      owner.kill('SIGKILL');
      await new Promise((resolve) => owner.once('exit', resolve));
      // tsx's esbuild helper inherited the pipe and can outlive the owner; Jest would wait on it.
      owner.stdout.destroy();
      // Whether its watchdog or this start stops the orphan first, the new start must succeed.
      const server = await start(dataDir);
      expect(await query(server.url, 'select count(*)::int as n from inventory.stock')).toEqual([{ n: 1 }]);
      expect(await canConnect(ownerUrl)).toBe(false);
      await server.stop();
    },
    SLOW,
  );

  it(
    'fails with the tail of the server log when PostgreSQL cannot start',
    async () => {
      const dataDir = await seededDataDir();
      const config = path.join(dataDir, 'pgdata', 'postgresql.conf');
      const original = await readFile(config, 'utf8');
      await writeFile(config, `${original}\nshared_buffers = 'plenty'\n`);
      try {
        await expect(start(dataDir)).rejects.toThrow(
          /last lines of .*postgres\.log[\s\S]*invalid value for parameter "shared_buffers"/,
        );
      } finally {
        await writeFile(config, original);
      }
      const server = await start(dataDir);
      expect(await canConnect(server.url)).toBe(true);
      await server.stop();
    },
    SLOW,
  );
});
