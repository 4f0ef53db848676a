import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { REPO_ROOT, runCommand } from '@relay/local-stack';
import { integrationEnv, uniqueName } from '@relay/testing';

/** Runs `npm run ops -- …` the way an operator does (tsx, a real process, real exit codes). */
async function ops(args: string[], env: Record<string, string> = {}) {
  const { kafkaBrokers, databaseUrl } = integrationEnv();
  const result = await runCommand(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(REPO_ROOT, 'tools/ops/src/main.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokers.join(','), DATABASE_URL: databaseUrl, ...env },
    timeoutMs: 60_000,
  });
  return result;
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

describe('ops CLI plumbing', () => {
  jest.setTimeout(120_000);

  it('--help lists every command and exits 0; each command has its own help', async () => {
    const help = await ops(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['topics', 'topics describe', 'lag', 'dlq list', 'dlq show', 'dlq replay', 'dlq purge', 'outbox quarantine', 'audit']) expect(help.stdout).toContain(command);
    const auditHelp = await ops(['audit', '--help']);
    expect(auditHelp.code).toBe(0);
    expect(auditHelp.stdout).toContain('--grace-seconds');
  });

  it('an unknown command, a missing command or an unknown flag is a usage error (exit 2) with a message', async () => {
    const unknown = await ops(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect((await ops([])).code).toBe(2);
    const badFlag = await ops(['lag', '--bogus']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("unknown flag '--bogus'");
    const missing = await ops(['dlq', 'list']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--group is required');
    noStackTrace(unknown.stderr + badFlag.stderr + missing.stderr);
  });

  it('names a bad KAFKA_BROKERS or DATABASE_URL value (exit 2), and reports an unreachable broker without a stack trace (exit 1)', async () => {
    const brokers = await ops(['topics'], { KAFKA_BROKERS: 'not a broker list' });
    expect(brokers.code).toBe(2);
    expect(brokers.stderr).toContain('KAFKA_BROKERS');
    expect(brokers.stderr).toContain('not a broker list');
    const url = await ops(['audit'], { DATABASE_URL: 'mysql://somewhere/db' });
    expect(url.code).toBe(2);
    expect(url.stderr).toContain('DATABASE_URL');
    // A bad URL is shown, so its password never is: here the scheme is missing.
    const secret = await ops(['audit'], { DATABASE_URL: 'relay:s3cr3t@db.example:5432/relay' });
    expect(secret.code).toBe(2);
    expect(secret.stderr).toContain('"relay:***@db.example:5432/relay"');
    expect(secret.stderr).not.toContain('s3cr3t');
    const unreachable = await ops(['topics'], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/Kafka: .*ECONNREFUSED/);
    noStackTrace(brokers.stderr + url.stderr + unreachable.stderr);
  });

  it('lists and describes topics of the real broker', async () => {
    const topic = uniqueName('ops.cli.topic').replace(/_/g, '-');
    const kafka = new Kafka({ brokers: integrationEnv().kafkaBrokers, ...integrationEnv().kafkaClient, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    try {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: '1', partition: 1 }, { key: 'b', value: '2', partition: 1 }] });
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
    const list = await ops(['topics', '--json']);
    expect(list.code).toBe(0);
    const summaries = JSON.parse(list.stdout) as { topic: string; partitions: number; totalEnd: string }[];
    expect(summaries.find((entry) => entry.topic === topic)).toMatchObject({ partitions: 3, totalEnd: '2' });

    const describe = await ops(['topics', 'describe', topic]);
    expect(describe.code).toBe(0);
    expect(describe.stdout).toMatch(/^1\s+\d+ \(.+\)\s+\d+\s+\d+\s+0\s+2\s+2$/m);

    const missing = await ops(['topics', 'describe', `${topic}-missing`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
  });

  it('refuses to audit a schema that is not there, naming the flag (exit 1)', async () => {
    const result = await ops(['audit', '--orders-schema', uniqueName('ops_missing')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--orders-schema');
    noStackTrace(result.stderr);
  });

  it('does not purge a dead-letter topic without --yes when nobody can answer (exit 2)', async () => {
    const result = await ops(['dlq', 'purge', '--group', 'inventory']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--yes');
  });
});
