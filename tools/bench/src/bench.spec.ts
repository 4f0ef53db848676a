import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeEvent, OrderPlacedV1 } from '@relay/contracts';
import { Kafka, Message, ProducerRecord } from 'kafkajs';
import { RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER, sequenceText, WAL_OUTBOX_APPEND } from '@relay/messaging';
import { OrderEventFactory, produceOrderEvents } from './events';
import { BenchPlan, externalServersRefusal, parseBenchArgs, phasePrefix, stackRuns, USAGE, UsageError } from './options';
import { BaselineResults, parseConsumerPerformance, parseProducerPerformance } from './phases/baselines';
import { logEntries, shapeOf } from './phases/sql-census';
import { sendInFlight } from './phases/send-in-flight';
import { summariseProfile } from './profiling';
import { BenchResults, bookkeepingTarget, computeClientComparison, computeCpuCosts, computeRatios, computeSecurityCost, latencyTargets } from './results';
import { endToEndSection, kafkaClientsSection, securityCostSection, shares } from './report';
import { effectTimesQuery, EffectTimesRow, processedTimesFromRows } from './pipeline';
import { bothCommitted, endToEnd, EndToEndLatency } from './phases/end-to-end';
import { firstCommitsName, firstCommitsNamePrefix, firstCommitsQuery } from './first-commits';
import { prepareBenchAuth } from './load/bench-auth';
import { ProcessSampler } from './process-sampler';
import { distribution, slopePerSecond } from './stats';

describe('bench building blocks', () => {
  it('sends every record once, in batches of the shape, never more sends at a time than it allows', async () => {
    const sent: Array<[number, number]> = [];
    let open = 0;
    let mostOpen = 0;
    await sendInFlight(25, { label: 't', batchSize: 10, inFlight: 2, idempotent: false }, async (from, size) => {
      mostOpen = Math.max(mostOpen, ++open);
      await new Promise((resolve) => setImmediate(resolve));
      sent.push([from, size]);
      open--;
    });
    expect(sent.sort((a, b) => a[0] - b[0])).toEqual([[0, 10], [10, 10], [20, 5]]);
    expect(mostOpen).toBe(2);
  });

  it('computes nearest-rank percentiles over every sample', () => {
    const d = distribution(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(d).toMatchObject({ count: 100, p50: 50, p95: 95, p99: 99, max: 100, min: 1 });
    expect(distribution([])).toBeNull();
  });

  it('measures growth per second by least squares', () => {
    expect(slopePerSecond([0, 1, 2, 3].map((s) => ({ t: s * 1000, v: 10 + 5 * s })))).toBeCloseTo(5);
    expect(slopePerSecond([{ t: 0, v: 1 }])).toBe(0);
  });

  it('reads the summary line of Kafka ProducerPerformance', () => {
    const out = '100000 records sent, 56980.1 records/sec (19.16 MB/sec), 1290.37 ms avg latency, 1721.00 ms max latency, 1320 ms 50th, 1680 ms 95th, 1713 ms 99th, 1720 ms 99.9th.\n';
    expect(parseProducerPerformance(`12345 records sent, 2469.0 records/sec (0.8 MB/sec), 1.0 ms avg latency, 9.0 ms max latency.\n${out}`)).toEqual({
      recordsPerSecond: 56980.1,
      mbPerSecond: 19.16,
      avgLatencyMs: 1290.37,
      p99LatencyMs: 1713,
    });
  });

  it('reads the stats line of Kafka ConsumerPerformance', () => {
    const out = [
      'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
      '2026-11-27 03:40:01:000, 2026-11-27 03:40:03:000, 7.3, 3.65, 20015, 10507.3, 1100, 778, 9.38, 25726.2',
    ].join('\n');
    expect(parseConsumerPerformance(out)).toEqual({ messages: 20015, messagesPerSecond: 10507.3, fetchMessagesPerSecond: 25726.2, mbPerSecond: 9.38, rebalanceMs: 1100 });
  });

  it('names SQL statements by what they do and to which table', () => {
    expect(shapeOf('INSERT INTO "outbox"("event_id") VALUES ($1) RETURNING "id"')).toBe('INSERT outbox');
    expect(shapeOf('SELECT "s"."sku" FROM "stock_items" "s" WHERE "s"."sku" IN ($1) FOR UPDATE')).toBe('SELECT stock_items FOR UPDATE');
    expect(shapeOf('START TRANSACTION')).toBe('BEGIN');
    expect(shapeOf('SELECT pg_notify($1, current_schema())')).toBe('SELECT pg_notify');
    expect(shapeOf('UPDATE consumer_positions SET next_offset = $4 WHERE consumer_group = $1')).toBe('UPDATE consumer_positions');
    expect(shapeOf("SELECT pg_replication_slot_advance('relay_outbox_orders', '0/1A2B'); COMMIT")).toBe('SELECT pg_replication_slot_advance; COMMIT');
    expect(shapeOf("BEGIN; SELECT set_config('a', 'b', true); SELECT lsn::text AS lsn, data FROM pg_logical_slot_peek_binary_changes('s', NULL, 500)")).toBe(
      'BEGIN; SELECT set_config; SELECT pg_logical_slot_peek_binary_changes',
    );
  });

  it('names a statement with data-modifying CTEs by everything it writes, the WAL outbox included', () => {
    expect(shapeOf(WAL_OUTBOX_APPEND)).toBe('WITH pg_logical_emit_message');
    expect(shapeOf('WITH appended AS (INSERT INTO outbox (event_id) SELECT 1 RETURNING 1) SELECT pg_notify($2, current_schema()) FROM appended')).toBe('WITH INSERT outbox, pg_notify');
    expect(
      shapeOf('WITH input AS (SELECT 1), inserted AS (INSERT INTO orders (id) SELECT id FROM input), lines AS (INSERT INTO order_lines (order_id) SELECT 1) SELECT id FROM inserted'),
    ).toBe('WITH INSERT orders, INSERT order_lines');
    expect(shapeOf('WITH locked AS (SELECT 1 FROM t FOR UPDATE), up AS (INSERT INTO r (id) SELECT 1 ON CONFLICT (id) DO UPDATE SET id = 1) SELECT 1')).toBe('WITH INSERT r');
    expect(shapeOf('WITH claimed AS (DELETE FROM parked_events p USING x RETURNING p.topic) SELECT topic FROM claimed')).toBe('WITH DELETE parked_events');
  });

  it('reads a statement logged over several lines as one entry', () => {
    const log = [
      '2026-12-07 00:13:01.123 UTC [12] app=orders LOG:  execute <unnamed>: WITH emitted AS (',
      '\t     SELECT pg_logical_emit_message(true, $1 || current_schema(), entry.content)',
      '\t   )',
      `2026-12-07 00:13:01.124 UTC [12] app=orders DETAIL:  parameters: $1 = 'relay.outbox.', $2 = '{"{\\"topic\\":1}`,
      `\t{}"}'`,
      '2026-12-07 00:13:01.125 UTC [12] app=orders LOG:  execute <unnamed>: COMMIT',
    ].join('\n');
    const entries = logEntries(log);
    expect(entries).toHaveLength(3);
    expect(entries[0]).toContain('SELECT pg_logical_emit_message');
    expect(entries[2]).toContain('COMMIT');
  });

  it('passes the per-event bookkeeping target only when no such table holds a row after the run', () => {
    const tables = (rows: number) => [
      { schema: 'inventory', table: 'processed_events', rows },
      { schema: 'inventory', table: 'outbox', rows: 0 },
      { schema: 'inventory', table: 'consumer_positions', rows: 6 },
    ];
    expect(bookkeepingTarget({ postgresAfterRun: { tables: tables(0), slots: [] } })).toMatchObject({ status: 'PASS', actual: '0 rows in 2 tables (inventory)' });
    expect(bookkeepingTarget({ postgresAfterRun: { tables: tables(20_000), slots: [] } })).toMatchObject({ status: 'MISS', actual: 'inventory.processed_events: 20000' });
    expect(bookkeepingTarget({})).toMatchObject({ status: 'n/a' });
  });

  it('reads commit times from each effect row\'s xmin, and no commit function at all on a server without them', () => {
    const schemas = { orders: 'o', inventory: 'i', delivery: 'd' };
    const commit = effectTimesQuery(schemas, 'commit');
    expect(commit).toContain('pg_xact_commit_timestamp(r.xmin)');
    expect(commit).toContain('pg_xact_commit_timestamp(d.xmin)');
    expect(commit).toMatch(/CASE WHEN d\.status = 'SCHEDULED' THEN \(extract\(epoch FROM pg_xact_commit_timestamp\(d\.xmin\)\)/);
    // pg_xact_commit_timestamp raises an error when track_commit_timestamp is off.
    expect(effectTimesQuery(schemas, 'transaction start')).not.toContain('pg_xact_commit_timestamp');
  });

  it('takes commits as the processed times when the server keeps them, never a start in place of an unknown commit', () => {
    const row = (id: string, values: Partial<EffectTimesRow>): EffectTimesRow => ({
      order_id: id,
      reserved_start_ms: null,
      reserved_commit_ms: null,
      delivery_start_ms: null,
      scheduled_start_ms: null,
      scheduled_commit_ms: null,
      ...values,
    });
    const rows = [
      row('a', { reserved_start_ms: 100, reserved_commit_ms: 130, delivery_start_ms: 105, scheduled_start_ms: 160, scheduled_commit_ms: 190 }),
      // Reserved, commit time unknown; delivery row not SCHEDULED yet.
      row('b', { reserved_start_ms: 200, delivery_start_ms: 210 }),
    ];
    const commits = processedTimesFromRows(rows, 'commit', new Map([['a', 120]]));
    expect(commits).toMatchObject({ clock: 'commit', deliveryClock: 'commit' });
    expect(commits.deliveryFallback).toBeUndefined();
    expect([...commits.inventory]).toEqual([['a', 130]]);
    // b's first delivery commit was not in the WAL read: not processed, not its start.
    expect([...commits.delivery]).toEqual([['a', 120]]);
    expect([...commits.deliveryScheduled]).toEqual([['a', 190]]);
    expect([...commits.deliveryStart]).toEqual([['a', 105], ['b', 210]]);
    expect([...commits.inventoryStart]).toEqual([['a', 100], ['b', 200]]);
    expect([...commits.deliveryScheduledStart]).toEqual([['a', 160]]);
    // No first commits read: delivery falls back to its start, and says why.
    const noSlot = processedTimesFromRows(rows, 'commit', undefined, 'no replication slot: permission denied');
    expect(noSlot).toMatchObject({ clock: 'commit', deliveryClock: 'transaction start', deliveryFallback: 'no replication slot: permission denied' });
    expect([...noSlot.delivery]).toEqual([['a', 105], ['b', 210]]);
    const starts = processedTimesFromRows(rows, 'transaction start', new Map([['a', 120]]));
    expect(starts).toMatchObject({ deliveryClock: 'transaction start', deliveryFallback: 'track_commit_timestamp is off' });
    expect([...starts.inventory]).toEqual([['a', 100], ['b', 200]]);
    expect([...starts.delivery]).toEqual([['a', 105], ['b', 210]]);
    expect([...starts.deliveryScheduled]).toEqual([['a', 160]]);
  });

  it('measures each order from its 201 to each effect\'s commit, "both" as the later commit, the old starts beside them', () => {
    const rows: EffectTimesRow[] = [
      { order_id: 'a', reserved_start_ms: 1010, reserved_commit_ms: 1040, delivery_start_ms: 1020, scheduled_start_ms: 1060, scheduled_commit_ms: 1090 },
      { order_id: 'b', reserved_start_ms: 2005, reserved_commit_ms: 2015, delivery_start_ms: 2030, scheduled_start_ms: 2050, scheduled_commit_ms: 2070 },
      { order_id: 'c', reserved_start_ms: null, reserved_commit_ms: null, delivery_start_ms: 3010, scheduled_start_ms: null, scheduled_commit_ms: null },
    ];
    const load = { ids: ['a', 'b', 'c'], okAtEpochMs: [1000, 2000, 3000] };
    const latency = endToEnd(load, processedTimesFromRows(rows, 'commit', new Map([['a', 1035], ['b', 2045], ['c', 3020]])));
    expect(latency).toMatchObject({ clock: 'commit', deliveryClock: 'commit' });
    expect(latency.inventory).toMatchObject({ count: 2, min: 15, max: 40 });
    expect(latency.delivery).toMatchObject({ count: 3, min: 20, max: 45 });
    expect(latency.both).toMatchObject({ count: 2, min: 40, max: 45 });
    expect(latency.deliveryScheduled).toMatchObject({ count: 2, min: 70, max: 90 });
    // Before: max(inventory start, delivery start) and SCHEDULED's updated_at.
    expect(latency.start.both).toMatchObject({ count: 2, min: 20, max: 30 });
    expect(latency.start.inventory).toMatchObject({ min: 5, max: 10 });
    expect(latency.start.delivery).toMatchObject({ count: 3, min: 10, max: 30 });
    expect(latency.start.deliveryScheduled).toMatchObject({ min: 50, max: 60 });
    expect(latency.missing).toEqual({ inventory: 1, delivery: 0, deliveryScheduled: 1 });
    expect(bothCommitted(latency)).toMatchObject({ figure: latency.both, what: expect.stringMatching(/commits/) });
    // Without first commits "both" is a lower bound (later of inventory's commit and delivery's start), and SCHEDULED is judged.
    const bounded = endToEnd(load, processedTimesFromRows(rows, 'commit', undefined, 'no slot'));
    expect(bounded).toMatchObject({ deliveryClock: 'transaction start', deliveryFallback: 'no slot' });
    expect(bounded.both).toMatchObject({ count: 2, min: 30, max: 40 });
    expect(bothCommitted(bounded).figure).toBe(bounded.deliveryScheduled);
  });

  it('judges the latency targets on the later commit, on SCHEDULED\'s commit without delivery\'s first, and says when there were only starts', () => {
    const d = (p50: number, p99: number) => ({ count: 100, mean: p50, p50, p95: p99, p99, max: p99, min: 1 });
    const latency = (values: Partial<EndToEndLatency>): EndToEndLatency => ({
      clock: 'commit',
      deliveryClock: 'commit',
      inventory: d(5, 20),
      delivery: d(4, 15),
      both: d(6, 25),
      deliveryScheduled: d(15, 60),
      start: { inventory: d(2, 8), delivery: d(2, 8), both: d(3, 10), deliveryScheduled: d(5, 20) },
      orders: 100,
      missing: { inventory: 0, delivery: 0, deliveryScheduled: 0 },
      ...values,
    });
    const [p99, p50] = latencyTargets(latency({}));
    expect(p99).toMatchObject({ status: 'PASS', target: 'p99 201→processed (committed) by both ≤ 50 ms at 1,000 orders/s' });
    expect(p99.actual).toMatch(/^25(\.0)? ms, later of the two groups' commits$/);
    expect(p50.status).toBe('PASS');
    // A SCHEDULED not yet reached does not matter when both commits are known.
    expect(latencyTargets(latency({ missing: { inventory: 0, delivery: 0, deliveryScheduled: 3 } }))[0].status).toBe('PASS');
    expect(latencyTargets(latency({ missing: { inventory: 0, delivery: 2, deliveryScheduled: 0 } }))[0]).toMatchObject({ status: 'MISS', actual: expect.stringMatching(/2 orders not processed in time/) });
    // No first commits: judged on SCHEDULED, an upper bound, the lower bound beside it.
    const bounded = latencyTargets(latency({ deliveryClock: 'transaction start' }));
    expect(bounded.map((t) => t.status)).toEqual(['MISS', 'MISS']);
    expect(bounded[0].actual).toMatch(/^60(\.0)? ms, commit of delivery SCHEDULED, an upper bound.*; lower bound 25(\.0)? ms/);
    expect(latencyTargets(latency({ deliveryClock: 'transaction start', deliveryScheduled: d(9, 45) })).map((t) => t.status)).toEqual(['PASS', 'PASS']);
    const starts = latencyTargets(latency({ clock: 'transaction start', deliveryClock: 'transaction start', both: d(3, 10), deliveryScheduled: d(50, 90) }));
    expect(starts.map((t) => t.status)).toEqual(['PASS', 'PASS']);
    expect(starts[0].actual).toMatch(/track_commit_timestamp off/);
    expect(latencyTargets(undefined)[0]).toMatchObject({ status: 'n/a', actual: 'not measured' });
  });

  it('heads the end-to-end table with what processed means: commits, or starts where there were none', () => {
    const d = { count: 1, mean: 10, p50: 10, p95: 10, p99: 10, max: 10, min: 10 };
    const run = (clock: EndToEndLatency['clock'], deliveryClock: EndToEndLatency['clock'], deliveryFallback?: string) => ({
      rate: 20,
      seconds: 5,
      http: { latencyMs: d },
      endToEndMs: { clock, deliveryClock, deliveryFallback, inventory: d, delivery: d, both: d, deliveryScheduled: d, start: { inventory: d, delivery: d, both: d, deliveryScheduled: d }, orders: 100, missing: { inventory: 0, delivery: 0, deliveryScheduled: 0 } },
    });
    const section = (...runs: Array<ReturnType<typeof run>>) => endToEndSection({ latencyRuns: runs, sustained: { trials: [] } } as unknown as Parameters<typeof endToEndSection>[0]).join('\n');
    const commits = section(run('commit', 'commit'));
    expect(commits).toMatch(/processed = COMMIT/);
    expect(commits).toMatch(/→ inventory \(commit\) +→ delivery \(commit\) +→ both \(commit\) +→ SCHEDULED \(commit\) +old: → both \(tx starts\)/);
    expect(commits).not.toMatch(/first commits not read/);
    const noSlot = section(run('commit', 'transaction start', 'no replication slot: denied'));
    expect(noSlot).toMatch(/→ inventory \(commit\) +→ delivery \(tx start\) +→ both \(tx start\) +→ SCHEDULED \(commit\)/);
    expect(noSlot).toMatch(/delivery's first commits not read \(no replication slot: denied\)/);
    const starts = section(run('transaction start', 'transaction start'));
    expect(starts).toMatch(/processed = START .*track_commit_timestamp off/);
    expect(starts).toMatch(/→ inventory \(tx start\)/);
  });

  it('names each first-commit watch within PostgreSQL\'s 63 characters, and decodes only inserts whose first column is a uuid', () => {
    expect(firstCommitsName('bench_202612080415ab12_', 3)).toBe('relay_bench_202612080415ab12_first_3');
    expect(firstCommitsName('bench_202612080415ab12_', 3).startsWith(firstCommitsNamePrefix('bench_202612080415ab12_'))).toBe(true);
    // A name PostgreSQL would truncate could collide with another watch's: refused.
    expect(() => firstCommitsName(`bench_${'x'.repeat(60)}_`, 1)).toThrow(/63 characters/);
    const query = firstCommitsQuery();
    expect(query).toContain("'publication_names', $1::text");
    expect(query).toContain('get_byte(data, 0) = 73'); // 'I'
    expect(query).toContain('get_byte(data, 8) = 116'); // 't': a text value
    expect(query).toContain("'\\x00000024'::bytea"); // 36 characters
    expect(query).toContain('pg_xact_commit_timestamp(xid)');
  });

  it('summarises a CPU profile by self time, package and category, leaving out the profiler itself', () => {
    const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url, lineNumber: 0, columnNumber: 0 }, children });
    const profile = {
      nodes: [
        frame(1, '(root)', '', [2, 4, 5, 6]),
        frame(2, 'query', '/repo/node_modules/typeorm/driver/postgres/PostgresQueryRunner.js', [3]),
        frame(3, 'writev', ''),
        frame(4, '(idle)', ''),
        frame(5, 'emit', '/repo/tools/bench/src/cpu-profiler.preload.cjs'),
        frame(6, 'placeOrder', '/repo/dist/libs/orders/domain/src/order.js'),
      ],
      startTime: 0,
      endTime: 10_000,
      samples: [3, 3, 2, 6, 4, 5],
      timeDeltas: [1000, 1000, 1000, 1000, 4000, 2000],
    };
    const summary = summariseProfile(profile, { label: 'orders', phase: 'e2e', file: 'x' });
    expect(summary.busyPct).toBe(50);
    expect(summary.top[0]).toMatchObject({ functionName: 'writev', selfPct: 50 });
    expect(summary.categories).toEqual([
      { name: 'database access (typeorm, pg, socket writes)', pct: 75 },
      { name: 'everything else (own code, Node core, GC, async hooks)', pct: 25 },
    ]);
    expect(summary.ownCodeInclusive[0]).toMatchObject({ functionName: 'placeOrder', selfPct: 25 });
  });

  it('turns CPU seconds per phase into CPU milliseconds per order, counting the peer apps as the services they stand for', () => {
    const costs = computeCpuCosts(
      [
        { label: 'orders', secondsByPhase: { e2e: 2 } },
        { label: 'inventory-cu1', secondsByPhase: { e2e: 1 } },
        { label: 'postgres', secondsByPhase: { e2e: 1, peer: 1 } },
        { label: 'bench', secondsByPhase: { e2e: 5 } },
        { label: 'peer-orders', secondsByPhase: { peer: 1 } },
        { label: 'peer-inventory', secondsByPhase: { peer: 0.5 } },
        { label: 'peer-delivery', secondsByPhase: { peer: 0.5 } },
      ],
      [
        { phase: 'e2e', unit: 'order', units: 1000 },
        { phase: 'peer', unit: 'order', units: 1000 },
      ],
      2,
    );
    expect(costs[0]).toMatchObject({ msPerUnit: { orders: 2, inventory: 1, postgres: 1 }, systemMsPerUnit: 4, cpuBoundRate: 500 });
    expect(costs[1]).toMatchObject({ msPerUnit: { orders: 1, inventory: 0.5, delivery: 0.5, postgres: 1 }, systemMsPerUnit: 3 });
  });

  it('parses the command line', () => {
    const quick = parseBenchArgs(['--quick', '--only', 'rest,catchup', '--profile', 'orders', '--service-env', 'CONSUMER_CHUNK_SIZE=1']);
    expect(quick).toMatchObject({ quick: true, phases: ['rest', 'catchup'], catchupEvents: 5_000, profile: ['orders'], serviceEnv: { CONSUMER_CHUNK_SIZE: '1' } });
    expect(parseBenchArgs(['--million'])).toMatchObject({ catchupEvents: 1_000_000, phases: ['rest', 'e2e', 'peer', 'catchup', 'baselines', 'memory'] });
    expect(() => parseBenchArgs(['--only', 'nope'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--events', '-3'])).toThrow(UsageError);
  });

  it('takes the latency runs\' rates from --latency-rates, 250 and 1,000 orders/s by default', () => {
    expect(parseBenchArgs(['--quick'])).toMatchObject({ latencyRuns: [{ rate: 250, seconds: 5 }, { rate: 1000, seconds: 8 }] });
    expect(parseBenchArgs([])).toMatchObject({ latencyRuns: [{ rate: 250, seconds: 30 }, { rate: 1000, seconds: 30 }] });
    expect(parseBenchArgs(['--quick', '--latency-rates', '20,250'])).toMatchObject({ latencyRuns: [{ rate: 20, seconds: 5 }, { rate: 250, seconds: 5 }] });
    expect(() => parseBenchArgs(['--latency-rates', '20,fast'])).toThrow(/--latency-rates/);
  });

  it('takes a results folder inside the repository only (the copied build loads the repository\'s packages)', () => {
    expect(parseBenchArgs(['--out', 'bench-results/a-b'])).toMatchObject({ outputDir: 'bench-results/a-b' });
    expect(() => parseBenchArgs(['--out', '/tmp/elsewhere'])).toThrow(/--out must be a folder inside the repository/);
  });

  it('runs the secured stack alone by default, and with --insecure the secured stack then the insecure one', () => {
    expect(parseBenchArgs(['--quick'])).toMatchObject({ securitySettings: ['secured'] });
    expect(parseBenchArgs(['--quick', '--only', 'rest,catchup', '--insecure'])).toMatchObject({ securitySettings: ['secured', 'insecure'], phases: ['rest', 'catchup'] });
    expect(USAGE).toMatch(/--insecure +what security costs: run the phases twice/);
    expect([phasePrefix('secured'), phasePrefix('insecure')]).toEqual(['', 'insecure:']);
  });

  it('runs one fresh stack per --client, in the order given: the first runs every phase unprefixed, the others the services\' phases under client:<client>:', () => {
    const plan = parseBenchArgs(['--quick', '--only', 'catchup,e2e,baselines', '--client', 'kafkajs, platformatic']) as BenchPlan;
    expect(plan).toMatchObject({ kafkaClients: ['kafkajs', 'platformatic'], securitySettings: ['secured'] });
    expect(stackRuns(plan)).toEqual([
      { security: 'secured', kafkaClient: 'kafkajs', phases: ['e2e', 'catchup', 'baselines'], prefix: '', tag: 'kafkajs' },
      { security: 'secured', kafkaClient: 'platformatic', phases: ['e2e', 'catchup'], prefix: 'client:platformatic:', tag: 'platformatic' },
    ]);
    const reversed = parseBenchArgs(['--client', 'platformatic,kafkajs']) as BenchPlan;
    expect(stackRuns(reversed).map((run) => [run.kafkaClient, run.prefix])).toEqual([
      ['platformatic', ''],
      ['kafkajs', 'client:kafkajs:'],
    ]);
    // One client: one stack, no comparison, nothing tagged.
    expect(stackRuns(parseBenchArgs(['--client', 'platformatic']) as BenchPlan)).toEqual([{ security: 'secured', kafkaClient: 'platformatic', phases: expect.any(Array), prefix: '', tag: '' }]);
    // Without --client: the stacks of the security settings, as before.
    expect(stackRuns(parseBenchArgs(['--insecure']) as BenchPlan).map((run) => [run.security, run.kafkaClient, run.prefix, run.tag])).toEqual([
      ['secured', undefined, '', 'secured'],
      ['insecure', undefined, 'insecure:', 'insecure'],
    ]);
    expect(parseBenchArgs([])).toMatchObject({ kafkaClients: [] });
    expect(USAGE).toMatch(/--client LIST +compare the Kafka clients/);
  });

  it('refuses --client combinations that compare nothing or more than one thing', () => {
    expect(() => parseBenchArgs(['--client', 'kafkajs,rdkafka'])).toThrow(new UsageError('--client: unknown Kafka client "rdkafka" (known: platformatic, kafkajs)'));
    expect(() => parseBenchArgs(['--client', ','])).toThrow(new UsageError('--client needs at least one value'));
    expect(() => parseBenchArgs(['--client', 'kafkajs,kafkajs'])).toThrow(new UsageError('--client: "kafkajs" is listed twice'));
    expect(() => parseBenchArgs(['--client', 'kafkajs,platformatic', '--insecure'])).toThrow(/--client and --insecure cannot be combined/);
    expect(() => parseBenchArgs(['--client', 'kafkajs,platformatic', '--service-env', 'KAFKA_CLIENT=kafkajs'])).toThrow(/leave it out of --service-env/);
    expect(() => parseBenchArgs(['--client', 'kafkajs,platformatic', '--only', 'baselines,peer'])).toThrow(/--only needs one of rest, e2e, catchup, memory, census/);
  });

  it('refuses the servers of KAFKA_BROKERS or DATABASE_URL where a comparison needs fresh ones of its own', () => {
    const clients = parseBenchArgs(['--client', 'kafkajs,platformatic']) as BenchPlan;
    expect(externalServersRefusal(clients, {})).toBeUndefined();
    expect(externalServersRefusal(clients, { DATABASE_URL: 'postgres://x' })).toBe('--client runs each client on a fresh Kafka and PostgreSQL of its own; unset DATABASE_URL to use it');
    expect(externalServersRefusal(clients, { KAFKA_BROKERS: 'k:9092', DATABASE_URL: 'postgres://x' })).toMatch(/unset KAFKA_BROKERS and DATABASE_URL/);
    // One client is one stack: given servers are fine.
    expect(externalServersRefusal(parseBenchArgs(['--client', 'platformatic']) as BenchPlan, { KAFKA_BROKERS: 'k:9092' })).toBeUndefined();
    const insecure = parseBenchArgs(['--insecure']) as BenchPlan;
    expect(externalServersRefusal(insecure, { KAFKA_BROKERS: 'k:9092' })).toMatch(/^--insecure compares/);
    expect(externalServersRefusal(insecure, {})).toBeUndefined();
  });

  it('puts each figure of every client side by side with its ratio to the first client listed', () => {
    const cost = (phase: string, msPerUnit: Record<string, number>, system: number) => ({ phase, unit: 'event' as const, units: 1000, msPerUnit, systemMsPerUnit: system, cpuBoundRate: 0 });
    const catchUp = (one: number, three: number, tripleDone = true) =>
      ({
        single: { instances: 1, eventsPerSecond: one, completed: true, lagTimeline: [{ t: 0, lag: 0 }] },
        triple: { instances: 3, eventsPerSecond: three, completed: tripleDone, lagTimeline: [{ t: 0, lag: tripleDone ? 0 : 407 }] },
      }) as NonNullable<BenchResults['catchUp']>;
    const endToEnd = (sustained: number | null, achieved: number, p50: number, p99: number) =>
      ({
        sustained: { highestSustainedRate: sustained, lowestFailedRate: sustained === null ? 2000 : null, trials: [{ rate: 2000, http: { achievedRate: achieved } }] },
        // Judged as the targets are (bothCommitted): with both groups' commits, `both`.
        latencyRuns: [{ rate: 250, endToEndMs: { clock: 'commit', deliveryClock: 'commit', both: { p50, p99 }, deliveryScheduled: { p50: p50 * 2, p99: p99 * 2 } } }],
      }) as unknown as NonNullable<BenchResults['endToEnd']>;
    const plan = { ...(parseBenchArgs(['--quick', '--client', 'kafkajs,platformatic']) as BenchPlan) };
    const results = {
      plan,
      catchUp: catchUp(2000, 3000),
      endToEnd: endToEnd(500, 1990, 8, 40),
      cpuCosts: [
        cost('catchup-1x', { inventory: 0.4 }, 1),
        cost('client:platformatic:catchup-1x', { inventory: 0.3 }, 0.8),
        cost('e2e', { orders: 1, inventory: 0.5, delivery: 0.5, kafka: 0.6 }, 4),
        cost('client:platformatic:e2e', { orders: 1, inventory: 0.25, delivery: 0.4, kafka: 0.3 }, 3.5),
      ],
      byClient: { platformatic: { infrastructure: [], catchUp: catchUp(3000, 3000, false), endToEnd: endToEnd(null, 1592, 6, 50) } },
    };
    const comparison = computeClientComparison(results)!;
    expect(comparison.clients).toEqual(['kafkajs', 'platformatic']);
    expect(comparison.rows.map((row) => [row.figure, row.values.kafkajs, row.values.platformatic, row.ratios.platformatic])).toEqual([
      ['catch-up, 1 inventory instance', 2000, 3000, 1.5],
      ['catch-up, 3 inventory instances', 3000, 3000, 1],
      ['catch-up, 1 instance: CPU per event, whole system', 1, 0.8, 0.8],
      ['catch-up, 1 instance: CPU per event, inventory service', 0.4, 0.3, 0.75],
      ['end-to-end sustained rate', 500, null, null],
      ['end-to-end trial at 2000/s: achieved', 1990, 1592, 0.8],
      ['end-to-end: CPU per order, whole system', 4, 3.5, 0.875],
      ['end-to-end: CPU per order, orders service', 1, 1, 1],
      ['end-to-end: CPU per order, inventory service', 0.5, 0.25, 0.5],
      ['end-to-end: CPU per order, delivery service', 0.5, 0.4, 0.8],
      ['end-to-end: CPU per order, Kafka broker', 0.6, 0.3, 0.5],
      ['end-to-end p50, 201 → both committed, at 250/s', 8, 6, 0.75],
      ['end-to-end p99, 201 → both committed, at 250/s', 40, 50, 1.25],
    ]);
    expect(comparison.rows.every((row) => row.ratios.kafkajs === 1 || row.values.kafkajs === null)).toBe(true);
    expect(comparison.notes).toEqual([
      'platformatic: catch-up with 3 instances did not finish in the time allowed (group lag still 407); its rate is up to the timeout',
      'platformatic: the sustained search passed none of the rates tried (lowest failed: 2000/s)',
    ]);
    // A client whose stack failed: its column is n/a, the first client's figures stay.
    expect(computeClientComparison({ ...results, byClient: undefined })!.rows[0]).toMatchObject({ values: { kafkajs: 2000, platformatic: null }, ratios: { platformatic: null } });
    // No comparison without several clients.
    expect(computeClientComparison({ ...results, plan: { ...plan, kafkaClients: ['platformatic'] } })).toBeUndefined();
    expect(computeClientComparison({ ...results, plan: { ...plan, kafkaClients: [] } })).toBeUndefined();
    const section = kafkaClientsSection(comparison).join('\n');
    expect(section).toMatch(/figure +kafkajs +platformatic +platformatic \/ kafkajs/);
    expect(section).toMatch(/catch-up, 1 inventory instance \(events\/s\) +2,000\.0 +3,000\.0 +1\.50×/);
    expect(section).toMatch(/end-to-end sustained rate \(orders\/s\) +500\.0 +n\/a +n\/a/);
    expect(section).toMatch(/end-to-end p99, 201 → both committed, at 250\/s \(ms\) +40\.0 +50\.0 +1\.25×/);
    expect(section).toMatch(/\n {2}platformatic: catch-up with 3 instances did not finish/);
  });

  it('records the insecure stack\'s phases apart, under their prefix', () => {
    const sampler = new ProcessSampler();
    sampler.setPhase('rest');
    expect(sampler.currentPhase).toBe('rest');
    sampler.setPhasePrefix('insecure:');
    sampler.setPhase('rest');
    expect(sampler.currentPhase).toBe('insecure:rest');
    sampler.stop();
  });

  it('sends a token per customer on the secured stack, and the customer id in X-Relay-Subject on the insecure one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'relay-bench-auth-'));
    const secured = await prepareBenchAuth(dir, 'secured');
    expect(secured.serviceEnv).toEqual({ AUTH_PUBLIC_KEY_FILE: expect.any(String) });
    expect(secured.customers.header).toBe('authorization');
    expect(secured.customers.values[7]).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(secured.adminHeaders.authorization).toMatch(/^Bearer /);
    const insecure = await prepareBenchAuth(dir, 'insecure');
    // Loopback, or the services refuse the mode.
    expect(insecure.serviceEnv).toEqual({ HTTP_AUTH: 'insecure-header', HOST: '127.0.0.1' });
    expect(insecure.customers).toMatchObject({ header: 'x-relay-subject' });
    expect(insecure.customers.values.slice(0, 2)).toEqual(['bench-c-0', 'bench-c-1']);
    expect(insecure.customers.values).toHaveLength(secured.customers.values.length);
    expect(insecure.adminHeaders).toEqual({ 'x-relay-subject': 'bench', 'x-relay-roles': 'admin' });
  });

  it('puts each figure of both settings side by side with secured / insecure, and leaves out what neither measured', () => {
    const cost = (phase: string, orders: number, system: number) => ({ phase, unit: 'order' as const, units: 1000, msPerUnit: { orders }, systemMsPerUnit: system, cpuBoundRate: 0 });
    const catchUp = (one: number, three: number) => ({ single: { eventsPerSecond: one }, triple: { eventsPerSecond: three } }) as NonNullable<BenchResults['catchUp']>;
    const results = {
      rest: { steps: [], saturation: 900, maxSockets: 256 },
      catchUp: catchUp(1800, 3000),
      cpuCosts: [cost('rest', 1.2, 4), cost('insecure:rest', 0.8, 3.2)],
      insecure: { infrastructure: ['Kafka 4.1.0 on 127.0.0.1:1, PLAINTEXT'], rest: { steps: [], saturation: 1000, maxSockets: 256 }, catchUp: catchUp(2000, 3000) },
    };
    const rows = computeSecurityCost(results);
    expect(rows.map((row) => [row.figure, row.secured, row.insecure, row.ratio])).toEqual([
      ['REST intake saturation', 900, 1000, 0.9],
      ['REST sweep: CPU per order, whole system', 4, 3.2, 1.25],
      ['REST sweep: CPU per order, orders service', 1.2, 0.8, 1.5],
      ['catch-up, 1 inventory instance', 1800, 2000, 0.9],
      ['catch-up, 3 inventory instances', 3000, 3000, 1],
    ]);
    expect(computeSecurityCost({ ...results, insecure: undefined })).toEqual([]);
    const section = securityCostSection({ securityCost: rows, meta: { infrastructure: ['Kafka 4.1.0 on 127.0.0.1:2, SASL_SSL'] } as BenchResults['meta'], insecure: results.insecure });
    expect(section.join('\n')).toMatch(/SASL_SSL[\s\S]*PLAINTEXT/);
    expect(section.join('\n')).toMatch(/REST intake saturation \(201\/s\) +900\.0 +1,000\.0 +0\.90×/);
  });

  it('sets each @platformatic/kafka baseline against Kafka\'s own tool and against kafkajs doing the same work', () => {
    expect(shares(30_000, 120_000, 'ProducerPerformance', 20_000)).toBe('25.0 % of ProducerPerformance, ×1.50 kafkajs');
    expect(shares(30_000, undefined, 'ProducerPerformance', undefined)).toBe('ProducerPerformance n/a, kafkajs n/a');
    const shape = (label: string, recordsPerSecond: number) => ({ label, records: 5000, recordsPerSecond, batchSize: 500, inFlight: 1 });
    const baselines = {
      producerPerformance: { recordsPerSecond: 100_000 },
      consumerPerformance: { fetchMessagesPerSecond: 200_000 },
      kafkajsProducer: [shape('idempotent', 10_000), shape('8 in flight', 40_000)],
      kafkajsConsumer: { messages: 5000, messagesPerSecond: 50_000, joinSeconds: 3 },
      platformaticProducer: [shape('idempotent', 20_000), { label: '8 in flight', error: 'boom' }],
      platformaticConsumer: { messages: 5000, messagesPerSecond: 100_000, joinSeconds: 1 },
    } as unknown as BaselineResults;
    const ratios = computeRatios({ baselines } as BenchResults).filter((r) => r.figure.includes('@platformatic/kafka'));
    expect(ratios.map((r) => [r.figure, r.baseline, r.ratio])).toEqual([
      ['raw @platformatic/kafka producer (idempotent)', 'Kafka ProducerPerformance', 0.2],
      ['raw @platformatic/kafka producer (idempotent)', 'raw kafkajs producer, same shape', 2],
      ['raw @platformatic/kafka consumer', 'Kafka ConsumerPerformance (fetch)', 0.5],
      ['raw @platformatic/kafka consumer', 'raw kafkajs consumer', 2],
    ]);
  });

  it('runs one Kafka node unless --brokers 3 asks for a cluster; other sizes are usage errors', () => {
    expect(parseBenchArgs([])).toMatchObject({ kafkaNodes: 1 });
    expect(parseBenchArgs(['--brokers', '3'])).toMatchObject({ kafkaNodes: 3 });
    expect(() => parseBenchArgs(['--brokers', '2'])).toThrow(new UsageError('--brokers takes 1 or 3 (one Kafka node, or a 3-node cluster: replication 3, min ISR 2), got "2"'));
  });

  it('runs the services with the usual Node.js flags unless --node-flags replaces them', () => {
    expect(parseBenchArgs(['--quick'])).toMatchObject({ nodeFlags: undefined });
    expect(parseBenchArgs(['--node-flags=--max-old-space-size=256  --max-semi-space-size=16'])).toMatchObject({ nodeFlags: ['--max-old-space-size=256', '--max-semi-space-size=16'] });
    expect(parseBenchArgs(['--node-flags='])).toMatchObject({ nodeFlags: [] });
    expect(() => parseBenchArgs(['--node-flags=max-old-space-size=256'])).toThrow(UsageError);
  });

  it('loads order-placed events the consumers accept: each decodes, with its own ids and the SKUs it was given', () => {
    const factory = new OrderEventFactory(['SKU-B-00', 'SKU-B-01']);
    const decoded = [0, 1, 2].map((i) => decodeEvent(factory.message(i).value as string, OrderPlacedV1.topic));
    expect(decoded.map((result) => result.ok)).toEqual([true, true, true]);
    const events = decoded.map((result) => (result.ok ? (result.envelope as OrderPlacedV1) : undefined)!);
    expect(events.map((event) => event.data.items[0].sku)).toEqual(['SKU-B-00', 'SKU-B-01', 'SKU-B-00']);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(3);
  });

  it('loads events with one producer id and sequences that go up by one per partition, one send in flight per partition', async () => {
    const sent: Array<{ partition: number; sequence: string; producer: string }> = [];
    const inFlight = new Map<number, number>();
    let overlapped = false;
    const header = (message: Message, name: string) => String(message.headers![name]);
    const kafka = {
      admin: () => ({
        connect: async () => undefined,
        disconnect: async () => undefined,
        fetchTopicMetadata: async () => ({ topics: [{ name: 't', partitions: [0, 1, 2].map((partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 })) }] }),
      }),
      producer: () => ({
        connect: async () => undefined,
        disconnect: async () => undefined,
        send: async (record: ProducerRecord) => {
          const partition = record.messages[0].partition!;
          expect(record.messages.every((message) => message.partition === partition)).toBe(true);
          if ((inFlight.get(partition) ?? 0) > 0) overlapped = true;
          inFlight.set(partition, (inFlight.get(partition) ?? 0) + 1);
          // Later sends may finish first: only one per partition at a time keeps its order.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
          for (const message of record.messages) sent.push({ partition, sequence: header(message, RELAY_SEQUENCE_HEADER), producer: header(message, RELAY_PRODUCER_HEADER) });
          inFlight.set(partition, inFlight.get(partition)! - 1);
          return [];
        },
      }),
    } as unknown as Kafka;
    const result = await produceOrderEvents(kafka, 't', 1_000, { batchSize: 37 });
    expect(overlapped).toBe(false);
    expect(sent).toHaveLength(1_000);
    expect(new Set(sent.map((each) => each.producer))).toEqual(new Set([result.producer]));
    for (const partition of [0, 1, 2]) {
      const sequences = sent.filter((each) => each.partition === partition).map((each) => each.sequence);
      expect(sequences.length).toBeGreaterThan(200);
      expect(sequences[0]).toBe(sequenceText({ commitLsn: 1n, index: 0 }));
      expect(sequences.every((sequence, i) => i === 0 || sequence > sequences[i - 1])).toBe(true);
    }
  });
});
