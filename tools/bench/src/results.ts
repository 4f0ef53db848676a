import { MemoryFigures } from './memory';
import { BenchPlan } from './options';
import { BaselineResults } from './phases/baselines';
import { CatchUpResults } from './phases/catch-up';
import { EndToEndResults } from './phases/end-to-end';
import { RestResults } from './phases/rest-sweep';
import { ProfileSummary } from './profiling';
import { round } from './stats';

export interface MachineFacts {
  nproc: number;
  cpuModel: string;
  totalMemoryGiB: number;
  freeH: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
  kernel: string;
  node: string;
}

export interface Ratio {
  figure: string;
  ours: number | null;
  baseline: string;
  baselineValue: number | null;
  unit: string;
  ratio: number | null;
}

export interface TargetCheck {
  target: string;
  actual: string;
  status: 'PASS' | 'MISS' | 'n/a';
}

export interface BenchResults {
  meta: {
    runId: string;
    command: string;
    startedAt: string;
    finishedAt: string;
    durationSeconds: number;
    infrastructure: string[];
    kafkaVersion: string;
    postgresVersion: string;
    git: { commit: string; dirty: boolean };
    machine: MachineFacts;
    notes: string[];
  };
  plan: BenchPlan;
  rest?: RestResults;
  endToEnd?: EndToEndResults;
  catchUp?: CatchUpResults;
  baselines?: BaselineResults;
  /** Highest number of events the orders outbox relay published in one second during the run. */
  ordersOutboxPeakPublishPerSecond?: number | null;
  memory: MemoryFigures[];
  profiles: ProfileSummary[];
  ratios: Ratio[];
  targets: TargetCheck[];
  errors: Array<{ phase: string; message: string }>;
}

type Ok<T> = Exclude<T, { error: string }>;
const ok = <T extends object>(value: T | { error: string } | undefined): Ok<T> | undefined =>
  value !== undefined && !('error' in value) ? (value as Ok<T>) : undefined;

export function computeRatios(results: BenchResults): Ratio[] {
  const b = results.baselines;
  const pg = ok(b?.pgOrderInsert);
  const cp = ok(b?.consumerPerformance);
  const pp = ok(b?.producerPerformance);
  const kjsConsumer = ok(b?.kafkajsConsumer);
  const kjsProducers = (b?.kafkajsProducer ?? []).map((p) => ok(p)).filter((p): p is NonNullable<typeof p> => p !== undefined);
  const relayPattern = kjsProducers.find((p) => p.inFlight === 1);
  const ceiling = kjsProducers.find((p) => p.inFlight > 1);
  const ratio = (figure: string, ours: number | null | undefined, baseline: string, baselineValue: number | null | undefined, unit: string): Ratio => ({
    figure,
    ours: ours ?? null,
    baseline,
    baselineValue: baselineValue ?? null,
    unit,
    ratio: ours !== null && ours !== undefined && baselineValue ? round(ours / baselineValue, 3) : null,
  });
  return [
    ratio('REST intake saturation (201/s)', results.rest?.saturation, `raw PostgreSQL order+outbox tx (${pg?.clients ?? '?'} clients)`, pg?.transactionsPerSecond, 'orders/s'),
    ratio('end-to-end sustained rate', results.endToEnd?.sustained.highestSustainedRate, 'raw PostgreSQL order+outbox tx', pg?.transactionsPerSecond, 'orders/s'),
    ratio('catch-up, 1 inventory instance', results.catchUp?.single.eventsPerSecond, 'Kafka ConsumerPerformance (fetch)', cp?.fetchMessagesPerSecond, 'events/s'),
    ratio('catch-up, 3 inventory instances', results.catchUp?.triple.eventsPerSecond, 'Kafka ConsumerPerformance (fetch)', cp?.fetchMessagesPerSecond, 'events/s'),
    ratio('catch-up, 1 inventory instance', results.catchUp?.single.eventsPerSecond, 'raw kafkajs consumer', kjsConsumer?.messagesPerSecond, 'events/s'),
    ratio('orders outbox relay, peak publish (1 s)', results.ordersOutboxPeakPublishPerSecond, 'raw kafkajs producer, relay pattern', relayPattern?.recordsPerSecond, 'events/s'),
    ratio('raw kafkajs producer (8 in flight)', ceiling?.recordsPerSecond, 'Kafka ProducerPerformance', pp?.recordsPerSecond, 'records/s'),
    ratio('raw kafkajs consumer', kjsConsumer?.messagesPerSecond, 'Kafka ConsumerPerformance (fetch)', cp?.fetchMessagesPerSecond, 'records/s'),
    ratio('catch-up topic load (kafkajs, 8 in flight)', results.catchUp?.load.eventsPerSecond, 'Kafka ProducerPerformance', pp?.recordsPerSecond, 'records/s'),
  ];
}

export function checkTargets(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const sustained = results.endToEnd?.sustained;
  if (!sustained) checks.push({ target: 'end-to-end sustained ≥ 2,000 orders/s', actual: 'not measured', status: 'n/a' });
  else {
    const best = sustained.highestSustainedRate;
    const actual =
      best !== null
        ? `${best} orders/s sustained${sustained.lowestFailedRate ? ` (${sustained.lowestFailedRate}/s failed)` : ''}`
        : `none of the rates tried (${sustained.trials.map((t) => t.rate).join(', ')}/s) sustained`;
    checks.push({ target: 'end-to-end sustained ≥ 2,000 orders/s', actual, status: best !== null && best >= 2000 ? 'PASS' : 'MISS' });
  }
  const at1000 = results.endToEnd?.latencyRuns.find((run) => run.rate === 1000);
  const both = at1000?.endToEndMs.both;
  const missing = at1000 ? Math.max(at1000.endToEndMs.missing.inventory, at1000.endToEndMs.missing.delivery) : 0;
  const missingNote = missing > 0 ? ` (${missing} orders not processed in time)` : '';
  checks.push({
    target: 'p99 201→processed by both ≤ 50 ms at 1,000 orders/s',
    actual: both ? `${both.p99} ms${missingNote}` : 'not measured',
    status: !both ? 'n/a' : both.p99 <= 50 && missing === 0 ? 'PASS' : 'MISS',
  });
  checks.push({
    target: 'p50 201→processed by both ≤ 10 ms at 1,000 orders/s',
    actual: both ? `${both.p50} ms${missingNote}` : 'not measured',
    status: !both ? 'n/a' : both.p50 <= 10 && missing === 0 ? 'PASS' : 'MISS',
  });
  const cp = ok(results.baselines?.consumerPerformance);
  const single = results.catchUp?.single;
  if (single && cp) {
    const share = single.eventsPerSecond / cp.fetchMessagesPerSecond;
    checks.push({
      target: 'catch-up per group ≥ 25 % of ConsumerPerformance',
      actual: `${round(100 * share, 1)} % (${single.eventsPerSecond} vs ${cp.fetchMessagesPerSecond} events/s)${single.completed ? '' : ', did not finish'}`,
      status: share >= 0.25 && single.completed ? 'PASS' : 'MISS',
    });
  } else checks.push({ target: 'catch-up per group ≥ 25 % of ConsumerPerformance', actual: 'not measured', status: 'n/a' });
  for (const service of ['orders', 'inventory', 'delivery']) {
    const instances = results.memory.filter((m) => m.service === service);
    if (instances.length === 0) {
      checks.push({ target: `${service} ≤ 200 MB RSS`, actual: 'not measured', status: 'n/a' });
      continue;
    }
    const worst = instances.reduce((a, m) => (Math.max(m.hwmMb, m.peakRssMb) > Math.max(a.hwmMb, a.peakRssMb) ? m : a));
    const peak = Math.max(worst.hwmMb, worst.peakRssMb);
    checks.push({ target: `${service} ≤ 200 MB RSS`, actual: `${peak} MB peak (${worst.label}, of ${instances.length} instance${instances.length > 1 ? 's' : ''})`, status: peak <= 200 ? 'PASS' : 'MISS' });
  }
  return checks;
}
