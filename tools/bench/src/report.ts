import { Distribution, formatMs, formatNumber } from './stats';
import { BenchResults, ClientComparison, CpuCost, SecurityCost } from './results';
import { EndToEndLatency, EndToEndResults, SustainedSearch } from './phases/end-to-end';

type Cell = string | number | null | undefined;

/** A plain-text table: the first row is the header; numbers are right-aligned. */
export function table(rows: Cell[][]): string {
  const text = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? 'n/a' : String(cell))));
  const widths = text[0].map((_, column) => Math.max(...text.map((row) => (row[column] ?? '').length)));
  const numeric = (value: string) => /^[-\d.,]+( ?(ms|s|MB|%|×|\/s))?$/.test(value) || value === 'n/a' || value === '-';
  // A column is right-aligned when every body cell in it is a number.
  const rightAligned = widths.map((_, column) => column > 0 && text.slice(1).every((row) => numeric(row[column] ?? '')));
  const line = (row: string[]) => row.map((cell, column) => (rightAligned[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return [line(text[0]), widths.map((width) => '─'.repeat(width)).join('  '), ...text.slice(1).map(line)].join('\n');
}

const pct = (d: Distribution | null | undefined, key: 'p50' | 'p95' | 'p99') => (d ? formatMs(d[key]) : 'n/a');
const triple = (d: Distribution | null | undefined) => (d ? `${formatMs(d.p50)} / ${formatMs(d.p95)} / ${formatMs(d.p99)}` : 'n/a');

/** A baseline's rate, or undefined when it failed or did not run. */
const rateOf = (value: object | undefined, key: string): number | undefined => (value !== undefined && key in value ? (value as Record<string, number>)[key] : undefined);

/** "45.2 % of ProducerPerformance, ×1.31 kafkajs": a client's rate against Kafka's own tool and against kafkajs's. */
export function shares(rate: number, tool: number | undefined, toolName: string, kafkajs: number | undefined): string {
  const ofTool = tool ? `${formatNumber((rate / tool) * 100, 1)} % of ${toolName}` : `${toolName} n/a`;
  const ofKafkajs = kafkajs ? `×${formatNumber(rate / kafkajs, 2)} kafkajs` : 'kafkajs n/a';
  return `${ofTool}, ${ofKafkajs}`;
}

/** What an end-to-end column ends at, for its header: the commit, or the start on a server or run without commit times. */
const endsAt = (clocks: ReadonlyArray<EndToEndLatency['clock'] | undefined>) => (clocks.every((clock) => clock === 'commit') ? 'commit' : clocks.some((clock) => clock === 'commit') ? 'commit or tx start' : 'tx start');

/**
 * The end-to-end table: each order's 201 to its consumers' effects, each at the commit of the
 * transaction that wrote it (durable), unless the server or run gave only starts (then the header
 * says "tx start" and a line says why). "→ both" is the targets' figure; "→ SCHEDULED" the whole
 * chain; the last column the old definition (every effect at its transaction's start), for
 * comparison with earlier runs.
 */
export function endToEndSection(e: Pick<EndToEndResults, 'latencyRuns'> & { sustained: Pick<EndToEndResults['sustained'], 'trials'> }): string[] {
  const rows = [...e.latencyRuns.map((r) => ({ label: String(r.rate), r })), ...e.sustained.trials.map((t) => ({ label: `${t.rate} (sustain)`, r: t }))];
  // Results written before 2026-12-08 have no clocks: every figure there is a start.
  const clocks = rows.map(({ r }) => r.endToEndMs.clock ?? 'transaction start');
  const deliveryClocks = rows.map(({ r }) => (r.endToEndMs.clock === 'commit' ? (r.endToEndMs.deliveryClock ?? 'transaction start') : 'transaction start'));
  const fallbacks = [...new Set(rows.map(({ r }) => r.endToEndMs.deliveryFallback).filter((why) => why !== undefined))];
  const out = ['End-to-end latency, 201 → processed (p50 / p95 / p99)'];
  if (clocks.every((clock) => clock === 'commit')) {
    out.push(
      "processed = COMMIT of the consumer transaction that wrote the effect: pg_xact_commit_timestamp of the reservation's and the SCHEDULED delivery's xmin; for delivery's first transaction (its row is updated later), of the xid that inserted the row, read from the WAL through a slot of the bench's own",
      '"→ both" = the later of inventory\'s and delivery\'s first commit (the targets\' figure); "→ SCHEDULED" = commit of delivery\'s transaction that scheduled it (the whole chain); "old: → both" = as measured before 2026-12-08, every effect at its transaction\'s start',
    );
  } else
    out.push(
      'processed = START of the consumer transaction that wrote the effect where the header says "tx start": this PostgreSQL keeps no commit times (track_commit_timestamp off, e.g. a DATABASE_URL server), which understates the time to a durable effect by the transaction\'s duration',
    );
  if (clocks.some((clock) => clock === 'commit') && deliveryClocks.some((clock) => clock !== 'commit')) {
    out.push(`delivery's first commits not read (${fallbacks.join('; ') || 'not recorded'}): "→ delivery" is its first transaction's start, "→ both" a lower bound; the targets are judged on "→ SCHEDULED" where commits exist`);
  }
  out.push(
    'no "published" stage: the WAL outbox leaves no publish stamp in a table, and the bench does not read the orders topic',
    table([
      ['rate/s', 'orders', 'HTTP p99', `→ inventory (${endsAt(clocks)})`, `→ delivery (${endsAt(deliveryClocks)})`, `→ both (${endsAt(deliveryClocks)})`, `→ SCHEDULED (${endsAt(clocks)})`, 'old: → both (tx starts)', 'missing inv/del/sch'],
      ...rows.map(({ label, r }) => [
        label,
        r.endToEndMs.orders,
        pct(r.http.latencyMs, 'p99'),
        triple(r.endToEndMs.inventory),
        triple(r.endToEndMs.delivery),
        triple(r.endToEndMs.both),
        triple(r.endToEndMs.deliveryScheduled),
        triple(r.endToEndMs.start?.both),
        `${r.endToEndMs.missing.inventory}/${r.endToEndMs.missing.delivery}/${r.endToEndMs.missing.deliveryScheduled}`,
      ]),
    ]),
  );
  return out;
}

export function renderReport(results: BenchResults, files: { json: string; svg: string }): string {
  const out: string[] = [];
  const m = results.meta;
  out.push(`Relay bench ${m.runId}: ${m.command}`);
  out.push(
    `machine: ${m.machine.nproc} cores (${m.machine.cpuModel}), ${m.machine.totalMemoryGiB} GiB; load average ${m.machine.loadAverageAtStart.join(' ')} at start, ${m.machine.loadAverageAtEnd.join(' ')} at end; Node ${m.machine.node}; Kafka ${m.kafkaVersion}; PostgreSQL ${m.postgresVersion}`,
  );
  out.push(`everything (Kafka, PostgreSQL, services, load generator) shares this machine: figures are noisy when anything else runs on it`);
  out.push(`services run as: node ${(m.serviceNodeFlags ?? []).join(' ')}${(m.serviceNodeFlags ?? []).length > 0 ? ' ' : ''}dist/apps/<service>/src/main.js`);

  if (results.rest) {
    out.push('', `REST intake: open-loop POST /orders sweep (${results.plan.restStepSeconds} s per rate, up to ${results.rest.maxSockets} connections; latency from each request's scheduled send time)`);
    out.push(
      table([
        ['offered/s', 'achieved 201/s', 'non-2xx', 'errors', 'unfinished', 'p50', 'p95', 'p99', 'max', 'drain after'],
        ...results.rest.steps.map((s) => [
          s.offeredRate,
          formatNumber(s.achievedRate, 1),
          s.non2xx,
          s.errors,
          s.unfinished,
          pct(s.latencyMs, 'p50'),
          pct(s.latencyMs, 'p95'),
          pct(s.latencyMs, 'p99'),
          formatMs(s.latencyMs?.max),
          `${formatNumber(s.drainSecondsAfter, 1)} s${s.drainedAfter ? '' : ' (not drained)'}`,
        ]),
      ]),
    );
    out.push(`saturation (highest achieved 201 rate): ${formatNumber(results.rest.saturation, 1)}/s`);
  }

  if (results.endToEnd) {
    const e = results.endToEnd;
    out.push('', ...endToEndSection(e));
    out.push('', `Sustained rate search (${results.plan.sustainSeconds} s per trial)`);
    out.push(
      table([
        ['rate/s', 'result', 'achieved 201/s', 'inventory lag end (growth/s)', 'delivery lag end (growth/s)', 'orders outbox end (growth/s)', 'why'],
        ...e.sustained.trials.map((t) => [
          t.rate,
          t.pass ? 'PASS' : 'FAIL',
          formatNumber(t.http.achievedRate, 1),
          `${t.verdicts.inventoryLag.end ?? 'n/a'} (${t.verdicts.inventoryLag.slopePerSecond})`,
          `${t.verdicts.deliveryLag.end ?? 'n/a'} (${t.verdicts.deliveryLag.slopePerSecond})`,
          `${t.verdicts.ordersOutbox.end ?? 'n/a'} (${t.verdicts.ordersOutbox.slopePerSecond})`,
          t.reasons.join('; ') || '-',
        ]),
      ]),
    );
    out.push(`highest sustained: ${e.sustained.highestSustainedRate ?? 'none'} orders/s${e.sustained.lowestFailedRate ? `; lowest failed: ${e.sustained.lowestFailedRate}/s` : ''}`);
  }

  if (results.peer) {
    const p = results.peer;
    out.push('', `Peer: ${p.description}. The same sustained search (${results.plan.sustainSeconds} s per trial), same load generator, same Node flags; latencies read as Relay's, from the same tables with the same definitions ("→ both": the later of the two groups' commits; "→ SCHEDULED": the commit that scheduled the delivery)`);
    out.push(
      table([
        ['rate/s', 'result', 'achieved 201/s', 'HTTP p99', 'inventory lag end (growth/s)', 'delivery lag end (growth/s)', '→ both', '→ SCHEDULED', 'missing inv/del', 'why'],
        ...p.sustained.trials.map((t) => [
          t.rate,
          t.pass ? 'PASS' : 'FAIL',
          formatNumber(t.http.achievedRate, 1),
          pct(t.http.latencyMs, 'p99'),
          `${t.verdicts.inventoryLag.end ?? 'n/a'} (${t.verdicts.inventoryLag.slopePerSecond})`,
          `${t.verdicts.deliveryLag.end ?? 'n/a'} (${t.verdicts.deliveryLag.slopePerSecond})`,
          triple(t.endToEndMs.both),
          triple(t.endToEndMs.deliveryScheduled),
          `${t.endToEndMs.missing.inventory}/${t.endToEndMs.missing.delivery}`,
          t.reasons.join('; ') || '-',
        ]),
      ]),
    );
    const cpu = (phase: string) => results.cpuCosts.find((c) => c.phase === phase);
    out.push(peerComparisonLine({ relay: results.endToEnd?.sustained, peer: p.sustained, relayCpu: cpu('e2e'), peerCpu: cpu('peer') }));
  }

  if (results.catchUp) {
    const c = results.catchUp;
    out.push('', `Catch-up: ${formatNumber(c.events)} order-placed events (${c.load.valueBytes} B) loaded in ${formatNumber(c.load.seconds, 1)} s with a producer id and sequences (as a relay stamps them), then consumed by a fresh inventory group`);
    out.push(
      table([
        ['instances', 'events/s', 'with boot+join', 'boot', 'processing', 'finished', 'applied per instance'],
        ...[c.single, c.triple].map((r) => [
          r.instances,
          formatNumber(r.eventsPerSecond, 0),
          formatNumber(r.wallEventsPerSecond, 0),
          `${formatNumber(r.bootSeconds, 1)} s`,
          `${formatNumber(r.processingSeconds, 1)} s`,
          r.completed ? 'yes' : 'NO (timed out)',
          r.appliedPerInstance.join(' / '),
        ]),
      ]),
    );
    out.push(`3 vs 1 instances: ×${c.scaling}`);
  }

  if (results.baselines) {
    const b = results.baselines;
    const rows: Cell[][] = [['baseline', 'figure', 'detail']];
    const add = (name: string, value: object, figure: (v: never) => string, detail: (v: never) => string) =>
      rows.push('error' in value ? [name, 'failed', (value as { error: string }).error] : [name, figure(value as never), detail(value as never)]);
    add('PostgreSQL order+outbox tx (raw pg)', b.pgOrderInsert, (v: { transactionsPerSecond: number }) => `${formatNumber(v.transactionsPerSecond)} tx/s`, (v: { clients: number; seconds: number; outboxStore: string }) => `${v.clients} clients, ${v.seconds} s, event to the ${v.outboxStore === 'wal' ? 'WAL' : 'outbox table'}`);
    add('Kafka ProducerPerformance', b.producerPerformance, (v: { recordsPerSecond: number }) => `${formatNumber(v.recordsPerSecond)} records/s`, (v: { records: number; recordSize: number; p99LatencyMs: number }) => `${v.records} × ${v.recordSize} B, acks=all, p99 ${v.p99LatencyMs} ms`);
    add('Kafka ConsumerPerformance', b.consumerPerformance, (v: { fetchMessagesPerSecond: number }) => `${formatNumber(v.fetchMessagesPerSecond)} msgs/s`, (v: { messages: number; messagesPerSecond: number }) => `${v.messages} msgs; ${formatNumber(v.messagesPerSecond)}/s with group join`);
    for (const p of b.kafkajsProducer) add(`kafkajs producer (${p.label})`, p, (v: { recordsPerSecond: number }) => `${formatNumber(v.recordsPerSecond)} records/s`, (v: { records: number }) => `${v.records} records, acks=all`);
    // The other client's rows follow kafkajs's, each as a share of Kafka's own tool and of kafkajs doing the same.
    const producerPerfRate = rateOf(b.producerPerformance, 'recordsPerSecond');
    for (const p of b.platformaticProducer ?? []) {
      const kafkajsRate = rateOf(b.kafkajsProducer.find((k) => k.label === p.label), 'recordsPerSecond');
      add(`@platformatic/kafka producer (${p.label})`, p, (v: { recordsPerSecond: number }) => `${formatNumber(v.recordsPerSecond)} records/s`, (v: { records: number; recordsPerSecond: number }) => `${v.records} records, acks=all; ${shares(v.recordsPerSecond, producerPerfRate, 'ProducerPerformance', kafkajsRate)}`);
    }
    add('kafkajs consumer (eachBatch + JSON.parse)', b.kafkajsConsumer, (v: { messagesPerSecond: number }) => `${formatNumber(v.messagesPerSecond)} msgs/s`, (v: { messages: number; joinSeconds: number }) => `${v.messages} msgs, join ${v.joinSeconds} s`);
    if (b.platformaticConsumer) {
      const consumerPerfRate = rateOf(b.consumerPerformance, 'fetchMessagesPerSecond');
      const kafkajsRate = rateOf(b.kafkajsConsumer, 'messagesPerSecond');
      add('@platformatic/kafka consumer (stream + JSON.parse)', b.platformaticConsumer, (v: { messagesPerSecond: number }) => `${formatNumber(v.messagesPerSecond)} msgs/s`, (v: { messages: number; joinSeconds: number; messagesPerSecond: number }) => `${v.messages} msgs, join ${v.joinSeconds} s; ${shares(v.messagesPerSecond, consumerPerfRate, 'ConsumerPerformance (fetch)', kafkajsRate)}`);
    }
    if (b.kafkajsEffectConsumer) {
      add('kafkajs consumer + PostgreSQL effect (inventory\'s writes, no relay)', b.kafkajsEffectConsumer, (v: { messagesPerSecond: number }) => `${formatNumber(v.messagesPerSecond)} msgs/s`, (v: { messages: number; transactions: number; outboxStore: string }) => `${v.messages} msgs in ${v.transactions} transactions, a position row per partition, events to the ${v.outboxStore === 'wal' ? 'WAL' : 'outbox table'}`);
    }
    out.push('', `Baselines (same machine, same run, no service running; record size ${b.recordBytes} B)`);
    out.push(table(rows));
  }

  if (results.sqlCensus) {
    const c = results.sqlCensus;
    out.push('', `SQL statements per order (PostgreSQL statement log over ${c.orders} orders at 20/s, drained): ${c.totalPerOrder} in all`);
    out.push(table([['application', 'statements per order'], ...Object.entries(c.statementsPerOrder).map(([app, n]) => [app, formatNumber(n, 2)])]));
    out.push(table([['application', 'statement', 'per order'], ...c.topStatements.slice(0, 30).map((s) => [s.application, s.statement, formatNumber(s.perOrder, 2)])]));
    out.push('', `Rows written per order (pg_stat_user_tables over the same load; an UPDATE or DELETE is a write): ${formatNumber(c.rowsWrittenPerOrder, 2)} in all; WAL ${formatNumber(c.walBytesPerOrder)} B per order`);
    out.push(
      table([
        ['table', 'inserted', 'updated', 'deleted'],
        ...c.rowsPerOrder.map((t) => [`${t.schema}.${t.table}`, formatNumber(t.inserted, 2), formatNumber(t.updated, 2), formatNumber(t.deleted, 2)]),
      ]),
    );
  }

  if (results.postgresAfterRun) {
    const { tables, slots } = results.postgresAfterRun;
    const schemas = [...new Set(tables.map((t) => t.schema))];
    const names = [...new Set(tables.map((t) => t.table))].sort();
    const rows = new Map(tables.map((t) => [`${t.schema}.${t.table}`, t.rows]));
    out.push('', 'PostgreSQL tables after the run (rows; "-": no such table in that schema). Issue 11: no table may grow with the number of events processed');
    out.push(table([['table', ...schemas], ...names.map((name) => [name, ...schemas.map((schema) => (rows.has(`${schema}.${name}`) ? formatNumber(rows.get(`${schema}.${name}`)!) : '-'))])]));
    if (slots.length > 0) {
      out.push('WAL outbox replication slots (WAL PostgreSQL keeps for each; a stopped service\'s slot keeps everything written after it stopped)');
      out.push(
        table([
          ['slot of', 'active', 'WAL retained', 'not confirmed'],
          ...slots.map((slot) => [slot.schema, slot.active ? 'yes' : 'no', `${formatNumber(slot.retainedBytes / 2 ** 20, 1)} MB`, `${formatNumber(slot.unconfirmedBytes / 2 ** 20, 1)} MB`]),
        ]),
      );
    }
  }

  if (results.securityCost.length > 0) out.push('', ...securityCostSection(results));
  if (results.clientComparison) out.push('', ...kafkaClientsSection(results.clientComparison));

  const ratios = results.ratios.filter((r) => r.ours !== null || r.baselineValue !== null);
  if (ratios.length > 0) {
    out.push('', 'Our figures against their baselines');
    out.push(
      table([
        ['figure', 'ours', 'baseline', 'baseline value', 'ratio'],
        ...ratios.map((r) => [r.figure, r.ours === null ? 'n/a' : `${formatNumber(r.ours)} ${r.unit}`, r.baseline, r.baselineValue === null ? 'n/a' : formatNumber(r.baselineValue), r.ratio === null ? 'n/a' : `${formatNumber(r.ratio * 100, 1)} %`]),
      ]),
    );
  }

  if (results.memory.length > 0) {
    out.push('', 'Memory: peak RSS per service process (sampled every 500 ms; VmHWM = kernel high-water mark)');
    const phases = [...new Set(results.memory.flatMap((m) => Object.keys(m.peakRssMbByPhase)))];
    out.push(
      table([
        ['process', 'peak RSS', 'VmHWM', ...phases.map((p) => `in ${p}`)],
        ...results.memory.map((m) => [m.label, `${m.peakRssMb} MB`, `${m.hwmMb} MB`, ...phases.map((p) => (m.peakRssMbByPhase[p] === undefined ? '-' : `${m.peakRssMbByPhase[p]} MB`))]),
      ]),
    );
  }

  if (results.cpuCosts.length > 0) {
    const groups = ['orders', 'inventory', 'delivery', 'postgres', 'kafka', 'load generator'].filter((g) => results.cpuCosts.some((c) => c.msPerUnit[g] !== undefined));
    out.push('', `CPU cost per order / event (CPU ms, from /proc; independent of what else the machine ran), and the rate ${m.machine.nproc} dedicated cores would allow if CPU were the only limit`);
    out.push(
      table([
        ['phase', 'units', ...groups.map((g) => `${g} ms`), 'system ms', 'CPU-bound rate', 'PG commits', 'PG rows written', 'deadlocks'],
        ...results.cpuCosts.map((c) => [
          c.phase,
          `${formatNumber(c.units)} ${c.unit}s`,
          ...groups.map((g) => (c.msPerUnit[g] === undefined ? '-' : formatNumber(c.msPerUnit[g], 2))),
          formatNumber(c.systemMsPerUnit, 2),
          `${formatNumber(c.cpuBoundRate)}/s`,
          c.database ? formatNumber(c.database.commitsPerUnit, 1) : 'n/a',
          c.database ? formatNumber(c.database.rowsWrittenPerUnit, 1) : 'n/a',
          c.database ? c.database.deadlocks : 'n/a',
        ]),
      ]),
    );
  }
  if (results.machineByPhase.length > 0) {
    out.push('', 'Machine per phase (busy = all cores; "others" = CPU used by processes this bench did not start)');
    out.push(
      table([
        ['phase', 'wall', 'busy', 'CPU s', 'others CPU s', 'load avg'],
        ...results.machineByPhase.map((p) => [p.phase, `${formatNumber(p.wallSeconds, 0)} s`, `${formatNumber(p.busyPct, 0)} %`, formatNumber(p.busySeconds, 1), formatNumber(p.otherSeconds, 1), formatNumber(p.loadAverage, 1)]),
      ]),
    );
  }

  for (const profile of results.profiles) {
    out.push('', `CPU profile ${profile.label} during ${profile.phase}: ${formatNumber(profile.wallMs / 1000, 1)} s, on CPU ${profile.busyPct} % of it (${profile.file})`);
    out.push(table([['share', 'what the process was doing (first match on the stack)'], ...profile.categories.map((c) => [`${c.pct} %`, c.name])]));
    out.push(table([['self %', 'function', 'where'], ...profile.top.slice(0, 15).map((e) => [`${e.selfPct} %`, e.functionName, e.location])]));
    out.push(table([['package', 'self %', 'on stack %'], ...profile.packages.slice(0, 12).map((p) => [p.name, `${p.selfPct} %`, `${p.onStackPct} %`])]));
    out.push(table([['inclusive %', 'Relay function (synchronous stretches + callees)', 'where'], ...profile.ownCodeInclusive.slice(0, 12).map((e) => [`${e.selfPct} %`, e.functionName, e.location])]));
  }

  out.push('', 'Targets (2 cores, everything on one machine)');
  out.push(table([['target', 'result', 'actual'], ...results.targets.map((t) => [t.target, t.status, t.actual])]));
  if (results.errors.length > 0) {
    out.push('', 'Phases that failed:');
    for (const error of results.errors) out.push(`  ${error.phase}: ${error.message}`);
  }
  out.push('', `results: ${files.json}`, `chart:   ${files.svg}`);
  return out.join('\n');
}

const sustainedText = (search: Pick<SustainedSearch, 'highestSustainedRate' | 'lowestFailedRate'>): string =>
  `${search.highestSustainedRate === null ? 'none of the rates tried' : `${formatNumber(search.highestSustainedRate)} orders/s`}${search.lowestFailedRate !== null ? ` (${formatNumber(search.lowestFailedRate)}/s failed)` : ''}`;

/**
 * "peer (naive NestJS) sustained N orders/s; Relay / peer = X.XX×", then what Relay sustained and
 * the CPU per order of each (whole system: services, PostgreSQL, Kafka; the load generator excluded).
 */
export function peerComparisonLine(input: {
  relay?: Pick<SustainedSearch, 'highestSustainedRate' | 'lowestFailedRate'>;
  peer: Pick<SustainedSearch, 'highestSustainedRate' | 'lowestFailedRate'>;
  relayCpu?: Pick<CpuCost, 'systemMsPerUnit'>;
  peerCpu?: Pick<CpuCost, 'systemMsPerUnit'>;
}): string {
  const { relay, peer } = input;
  const times = (value: number) => `${value.toFixed(2)}×`;
  let ratio: string;
  if (!relay) ratio = '= n/a (the e2e phase did not run)';
  else {
    const ours = relay.highestSustainedRate;
    const theirs = peer.highestSustainedRate;
    // A search that passed nothing still bounds the rate: it is below the lowest rate that failed.
    if (ours !== null && theirs !== null) ratio = `= ${times(ours / theirs)}`;
    else if (ours !== null && peer.lowestFailedRate !== null) ratio = `> ${times(ours / peer.lowestFailedRate)}`;
    else if (theirs !== null && relay.lowestFailedRate !== null) ratio = `< ${times(relay.lowestFailedRate / theirs)}`;
    else ratio = '= n/a';
    ratio += ` (Relay sustained ${sustainedText(relay)})`;
  }
  const cpu = [input.relayCpu && `Relay ${formatNumber(input.relayCpu.systemMsPerUnit, 2)} ms (e2e phase)`, input.peerCpu && `peer ${formatNumber(input.peerCpu.systemMsPerUnit, 2)} ms`].filter(Boolean);
  return `peer (naive NestJS) sustained ${sustainedText(peer)}; Relay / peer ${ratio}${cpu.length > 0 ? `; CPU per order: ${cpu.join(', ')}` : ''}`;
}

const ratioText = (cost: SecurityCost): string => (cost.ratio === null ? 'n/a' : `${cost.ratio.toFixed(2)}×`);

/**
 * --insecure: what security costs, figure by figure. The tables above are the secured stack's; the
 * insecure stack's CPU figures are the `insecure:` phases of the CPU table.
 */
export function securityCostSection(results: Pick<BenchResults, 'securityCost' | 'meta' | 'insecure'>): string[] {
  const secured = results.meta.infrastructure.find((line) => line.startsWith('Kafka')) ?? 'Kafka as given';
  const insecure = results.insecure?.infrastructure.find((line) => line.startsWith('Kafka')) ?? 'Kafka as given';
  return [
    'Security cost: the same phases on both stacks of this run, one after the other. Secured: bearer JWTs verified per request,',
    `  ${secured}. Insecure: HTTP_AUTH=insecure-header (X-Relay-Subject believed, not verified), ${insecure}.`,
    '  Ratio = secured / insecure: below 1.00× a rate security lowers, above 1.00× a CPU cost it adds.',
    table([
      ['figure', 'secured', 'insecure', 'secured / insecure'],
      ...results.securityCost.map((c) => [
        `${c.figure} (${c.unit})`,
        c.secured === null ? 'n/a' : formatNumber(c.secured, c.kind === 'cost' ? 3 : 1),
        c.insecure === null ? 'n/a' : formatNumber(c.insecure, c.kind === 'cost' ? 3 : 1),
        ratioText(c),
      ]),
    ]),
  ];
}

/**
 * --client: the Kafka clients of the services' consumers, figure by figure. The tables above are the
 * first client's; the others' CPU figures are the `client:<client>:` phases of the CPU table.
 */
export function kafkaClientsSection(comparison: ClientComparison): string[] {
  const [first, ...others] = comparison.clients;
  const value = (v: number | null | undefined, kind: SecurityCost['kind']) => (v === null || v === undefined ? 'n/a' : formatNumber(v, kind === 'cost' ? 3 : 1));
  const ratio = (r: number | null | undefined) => (r === null || r === undefined ? 'n/a' : `${r.toFixed(2)}×`);
  return [
    `Kafka clients: the same phases on one fresh stack per client of this run, one after the other (KAFKA_CLIENT of every`,
    `  service: ${comparison.clients.join(', then ')}), same code, same Node. Ratio = client / ${first}: above 1.00× a rate is higher,`,
    '  a CPU cost or a latency larger.',
    table([
      ['figure', ...comparison.clients, ...others.map((client) => `${client} / ${first}`)],
      ...comparison.rows.map((row) => [`${row.figure} (${row.unit})`, ...comparison.clients.map((client) => value(row.values[client], row.kind)), ...others.map((client) => ratio(row.ratios[client]))]),
    ]),
    ...comparison.notes.map((note) => `  ${note}`),
  ];
}
