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
  let dataDir: string;
  const started: RunningPostgres[] = [];

  async function start(progress: string[] = []): Promise<RunningPostgres> {
    const server = await startPostgres({ dataDir, port: 0, onProgress: (message) => progress.push(message) });
    started.push(server);
    return server;
  }

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'relay-postgres-int-'));
    dataDir = path.join(tmp, 'postgres');
  }, SLOW);

  afterAll(async () => {
    await Promise.all(started.map((server) => server.stop()));
    await rm(tmp, { recursive: true, force: true });
  }, SLOW);

  it(
    'initialises a fresh data dir, serves queries, and keeps the data across a restart',
    async () => {
      const firstProgress: string[] = [];
      const first = await start(firstProgress);
      expect(first.url).toMatch(/^postgres:\/\/relay:relay@127\.0\.0\.1:\d+\/relay$/);
      expect(first.url).toContain(`:${first.port}/`);
      expect(firstProgress.some((message) => message.startsWith('initialising PostgreSQL data dir'))).toBe(true);
      expect(firstProgress).toContain(`starting PostgreSQL on 127.0.0.1:${first.port}…`);

      expect(await query(first.url, 'select 1 as one')).toEqual([{ one: 1 }]);
      await query(first.url, 'create schema inventory');
      await query(first.url, 'create table inventory.stock (sku text primary key, quantity int not null)');
      await query(first.url, "insert into inventory.stock values ('apple', 3)");

      await first.stop();
      await first.stop();
      expect(await canConnect(first.url)).toBe(false);

      const secondProgress: string[] = [];
      const second = await start(secondProgress);
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
      const server = await start();
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
      const lockFile = path.join(dataDir, 'pgdata', 'postmaster.pid');
      // This Jest worker is alive but is not PostgreSQL: postgres alone would refuse to start.
      await writeFile(lockFile, `${process.pid}\n${path.join(dataDir, 'pgdata')}\n0\n5999\n\n127.0.0.1\n0 0\nready   \n`);
      const progress: string[] = [];
      const server = await start(progress);
      expect(progress.some((message) => message.startsWith('removing stale'))).toBe(true);
      expect(await query(server.url, 'select count(*)::int as n from inventory.stock')).toEqual([{ n: 1 }]);
      await server.stop();
    },
    SLOW,
  );

  it(
    'recovers when the previous owner was killed with SIGKILL',
    async () => {
      const script = path.join(tmp, 'owner.ts');
      await writeFile(
        script,
        `import { startPostgres } from ${JSON.stringify(path.join(__dirname, 'postgres-server'))};\n` +
          `startPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: 0 }).then((s) => {\n` +
          `  process.stdout.write(s.url + '\\n');\n  setInterval(() => undefined, 1000);\n});\n`,
      );
      const tsxCli = require.resolve('tsx/cli');
      const owner = spawn(process.execPath, [tsxCli, script], { stdio: ['ignore', 'pipe', 'inherit'] });
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
      // Whether its watchdog or this start stops the orphan first, the new start must succeed.
      const server = await start();
      expect(await query(server.url, 'select count(*)::int as n from inventory.stock')).toEqual([{ n: 1 }]);
      expect(await canConnect(ownerUrl)).toBe(false);
      await server.stop();
    },
    SLOW,
  );

  it(
    'fails with the tail of the server log when PostgreSQL cannot start',
    async () => {
      const config = path.join(dataDir, 'pgdata', 'postgresql.conf');
      const original = await readFile(config, 'utf8');
      await writeFile(config, `${original}\nshared_buffers = 'plenty'\n`);
      try {
        await expect(start()).rejects.toThrow(/last lines of .*postgres\.log[\s\S]*invalid value for parameter "shared_buffers"/);
      } finally {
        await writeFile(config, original);
      }
      const server = await start();
      expect(await canConnect(server.url)).toBe(true);
      await server.stop();
    },
    SLOW,
  );
});
