import { LoadResult } from '../load/load-protocol';
import { BenchPlan } from '../options';
import { DeliveryFirstCommits } from '../first-commits';
import { backlogOf, describeBacklog, DrainResult, OrderFlow, Pipeline, pipelineFlow, ProcessedClock, ProcessedTimes } from '../pipeline';
import { progress } from '../progress';
import { BenchStack } from '../stack';
import { Distribution, distribution, round, slopePerSecond } from '../stats';
import { loadOrders, RestStep, summariseLoad, warmUp } from './rest-sweep';

/**
 * Latencies from each order's 201 to its effects, in ms, each ending when the consumer's transaction
 * that wrote the effect committed (durable), or at its start where the server gave no commit time
 * (`clock`, `deliveryClock`).
 */
export interface EndToEndLatency {
  /** What inventory and deliveryScheduled end at: the commit, or (fallback) the transaction's start. */
  clock: ProcessedClock;
  /** What delivery (and so both) ends at: its first commit read from the WAL (first-commits.ts), or (fallback) that transaction's start. */
  deliveryClock: ProcessedClock;
  /** Why deliveryClock fell back to starts, if it did. */
  deliveryFallback?: string;
  /** 201 → inventory's transaction that applied order.placed.v1 committed. */
  inventory: Distribution | null;
  /** 201 → delivery's first transaction for the order committed (order.placed.v1, unless stock.reserved.v1 overtook it). */
  delivery: Distribution | null;
  /**
   * 201 → both groups processed order.placed.v1: the later of the two, per order. Exact with both
   * clocks 'commit'; with delivery's start only, a lower bound of "both committed".
   */
  both: Distribution | null;
  /**
   * 201 → delivery's transaction that made the delivery SCHEDULED committed: the whole chain
   * (inventory committed before its stock-reserved was published; delivery's first transaction is
   * this one or earlier), so an upper bound of "both committed".
   */
  deliveryScheduled: Distribution | null;
  /** The old figures, each effect at the start of its transaction (as measured before 2026-12-08). */
  start: { inventory: Distribution | null; delivery: Distribution | null; both: Distribution | null; deliveryScheduled: Distribution | null };
  orders: number;
  /** Orders with a 201 that a group had not processed when the bench looked (after draining), or whose commit time is unknown. */
  missing: { inventory: number; delivery: number; deliveryScheduled: number };
}

/**
 * The figure the "201 → processed by both" targets are judged on, and what it is: `both` when both
 * ends are commits (exact); when only delivery's first commit is missing, the commit of delivery
 * SCHEDULED (exact and durable, but an upper bound: it adds the stock-reserved hop); without commit
 * times at all, the old start-of-transaction `both`.
 */
export function bothCommitted(latency: Pick<EndToEndLatency, 'clock' | 'deliveryClock' | 'both' | 'deliveryScheduled'>): { figure: Distribution | null; what: string } {
  if (latency.clock === 'commit' && latency.deliveryClock === 'commit') return { figure: latency.both, what: 'later of the two groups\' commits' };
  if (latency.clock === 'commit') return { figure: latency.deliveryScheduled, what: 'commit of delivery SCHEDULED, an upper bound (delivery\'s first commits not read)' };
  return { figure: latency.both, what: 'start of the later consumer transaction (track_commit_timestamp off: no commit times)' };
}

export interface LatencyRun {
  rate: number;
  seconds: number;
  http: Omit<RestStep, 'drainSecondsAfter' | 'drainedAfter'>;
  endToEndMs: EndToEndLatency;
  drainedBeforeStart: boolean;
}

/** One sample of a flow's watched backlogs; `t` is ms since the trial started. */
export type BacklogSample<K extends string = string> = { t: number } & Record<K, number | null>;

/** What Relay's sustained trials watch (see pipelineFlow). */
export type RelayWatched = 'inventoryLag' | 'deliveryLag' | 'ordersOutbox' | 'inventoryOutbox';

export interface SeriesVerdict {
  end: number | null;
  max: number | null;
  /** Least-squares growth over the second half of the trial, per second. */
  slopePerSecond: number;
  ok: boolean;
}

type HttpSummary = Omit<RestStep, 'drainSecondsAfter' | 'drainedAfter'>;

/** How a trial is judged: the verdict on each watched backlog and, if it failed, why. */
export interface SustainJudgement<K extends string = string> {
  pass: boolean;
  reasons: string[];
  lagBound: number;
  slopeBound: number;
  /** One per watched backlog (for Relay: inventory lag, delivery lag, orders outbox, inventory outbox). */
  verdicts: Record<K, SeriesVerdict>;
}

export interface SustainTrial<K extends string = string> extends SustainJudgement<K> {
  rate: number;
  seconds: number;
  http: HttpSummary;
  backlogAtStart: Record<string, number>;
  endToEndMs: EndToEndLatency;
  samples: Array<BacklogSample<K>>;
}

export interface SustainedSearch<K extends string = string> {
  trials: Array<SustainTrial<K>>;
  /** Highest rate that passed; null if none did. */
  highestSustainedRate: number | null;
  /** Lowest rate that failed, if any. */
  lowestFailedRate: number | null;
  criteria: string;
}

export interface EndToEndResults {
  latencyRuns: LatencyRun[];
  sustained: SustainedSearch<RelayWatched>;
}

/** Rates the sustained search walks, for Relay and the peer alike. */
export const SUSTAIN_LADDER = [25, 50, 100, 150, 200, 250, 375, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000];

/** Each order's 201 (load.okAtEpochMs) against its processed times; exported for its unit test. */
export function endToEnd(load: Pick<LoadResult, 'ids' | 'okAtEpochMs'>, times: ProcessedTimes): EndToEndLatency {
  const series = { inventory: [] as number[], delivery: [] as number[], both: [] as number[], scheduled: [] as number[] };
  const start = { inventory: [] as number[], delivery: [] as number[], both: [] as number[], scheduled: [] as number[] };
  const missing = { inventory: 0, delivery: 0, deliveryScheduled: 0 };
  for (let i = 0; i < load.ids.length; i++) {
    const id = load.ids[i];
    const at = load.okAtEpochMs[i];
    const inv = times.inventory.get(id);
    const del = times.delivery.get(id);
    const delStart = times.deliveryStart.get(id);
    const sch = times.deliveryScheduled.get(id);
    if (inv === undefined) missing.inventory++;
    else series.inventory.push(inv - at);
    if (del === undefined) missing.delivery++;
    else series.delivery.push(del - at);
    if (inv !== undefined && del !== undefined) series.both.push(Math.max(inv, del) - at);
    if (sch === undefined) missing.deliveryScheduled++;
    else series.scheduled.push(sch - at);
    const invStart = times.inventoryStart.get(id);
    const schStart = times.deliveryScheduledStart.get(id);
    if (invStart !== undefined) start.inventory.push(invStart - at);
    if (delStart !== undefined) start.delivery.push(delStart - at);
    if (invStart !== undefined && delStart !== undefined) start.both.push(Math.max(invStart, delStart) - at);
    if (schStart !== undefined) start.scheduled.push(schStart - at);
  }
  return {
    clock: times.clock,
    deliveryClock: times.deliveryClock,
    ...(times.deliveryFallback ? { deliveryFallback: times.deliveryFallback } : {}),
    inventory: distribution(series.inventory),
    delivery: distribution(series.delivery),
    both: distribution(series.both),
    deliveryScheduled: distribution(series.scheduled),
    start: { inventory: distribution(start.inventory), delivery: distribution(start.delivery), both: distribution(start.both), deliveryScheduled: distribution(start.scheduled) },
    orders: load.ids.length,
    missing,
  };
}

/** Starts recording delivery's first commits before a load, saying why not when it cannot. */
async function watchFirstCommits(flow: OrderFlow, step: string): Promise<DeliveryFirstCommits> {
  const watch = await flow.watchDeliveryFirstCommits();
  if (watch.unavailable) progress.step(step, `delivery's first commits unavailable (${watch.unavailable}): "→ delivery" and "→ both" use its first transaction's start`);
  return watch;
}

/** The flow's processed times after the drain, saying how long reading the WAL for first commits took when it was slow. */
async function readProcessedTimes(flow: OrderFlow, since: number, firstCommits: DeliveryFirstCommits, step: string): Promise<ProcessedTimes> {
  const started = Date.now();
  const times = await flow.processedTimes(since, firstCommits);
  const seconds = (Date.now() - started) / 1000;
  if (seconds >= 2) progress.step(step, `processed times read in ${seconds.toFixed(1)} s (decoding the load's WAL for delivery's first commits)`);
  return times;
}

export async function runLatencyRun(flow: OrderFlow, plan: BenchPlan, rate: number, seconds: number): Promise<LatencyRun> {
  const before = await flow.drain(plan.drainTimeoutSeconds, `${rate}/s pre-drain`);
  const firstCommits = await watchFirstCommits(flow, `latency ${rate}/s`);
  try {
    const load = await loadOrders(flow.ordersUrl, plan, { rate, seconds, label: `latency ${rate}/s`, recordIds: true });
    await flow.drain(plan.drainTimeoutSeconds, `latency ${rate}/s drain`);
    const times = await readProcessedTimes(flow, load.startedAtEpochMs, firstCommits, `latency ${rate}/s`);
    const run: LatencyRun = { rate, seconds, http: summariseLoad(load), endToEndMs: endToEnd(load, times), drainedBeforeStart: before.drained };
    const e = run.endToEndMs;
    const judged = bothCommitted(e);
    progress.step(
      `latency ${rate}/s`,
      `201→both p50 ${judged.figure?.p50 ?? 'n/a'} ms, p99 ${judged.figure?.p99 ?? 'n/a'} ms (${judged.what}; inventory ${e.clock} p99 ${e.inventory?.p99 ?? 'n/a'}, delivery first ${e.deliveryClock} p99 ${e.delivery?.p99 ?? 'n/a'}); HTTP p99 ${run.http.latencyMs?.p99 ?? 'n/a'} ms`,
    );
    return run;
  } finally {
    await firstCommits.close();
  }
}

function verdict<K extends string>(samples: Array<BacklogSample<K>>, key: K, bound: number, slopeBound: number): SeriesVerdict {
  const points = samples.filter((s) => s[key] !== null).map((s) => ({ t: s.t, v: s[key] as number }));
  if (points.length === 0) return { end: null, max: null, slopePerSecond: 0, ok: false };
  const secondHalf = points.slice(Math.floor(points.length / 2));
  const slope = slopePerSecond(secondHalf);
  const end = points[points.length - 1].v;
  const max = Math.max(...points.map((p) => p.v));
  return { end, max, slopePerSecond: round(slope, 1), ok: end <= bound && slope <= slopeBound };
}

/**
 * Whether a trial sustained its rate: the HTTP side took the load (≥ 98 % achieved, ≤ 0.1 % failed)
 * and no watched backlog grew: each ends at most one second's worth of events (at least 200) above
 * the backlog at the start, and its least-squares growth over the second half is at most 1 % of
 * the rate (at least 5) per second.
 */
export function judgeSustainTrial<K extends string>(input: {
  rate: number;
  http: HttpSummary;
  samples: Array<BacklogSample<K>>;
  watched: Record<K, string>;
  backlogAtStart: number;
}): SustainJudgement<K> {
  const { rate, http, samples } = input;
  const lagBound = Math.max(200, rate) + input.backlogAtStart;
  const slopeBound = Math.max(5, rate * 0.01);
  const reasons: string[] = [];
  if (http.achievedRate < rate * 0.98) reasons.push(`HTTP achieved ${http.achievedRate}/s < 98 % of ${rate}/s`);
  const failed = http.non2xx + http.errors + http.unfinished;
  if (failed > http.sent * 0.001) reasons.push(`${failed} of ${http.sent} requests failed`);
  const verdicts = {} as Record<K, SeriesVerdict>;
  for (const [key, name] of Object.entries(input.watched) as Array<[K, string]>) {
    const v = verdict(samples, key, lagBound, slopeBound);
    verdicts[key] = v;
    if (!v.ok) reasons.push(`${name} ${v.end === null ? 'not measured' : `ended at ${v.end} (bound ${lagBound}), growing ${v.slopePerSecond}/s (bound ${round(slopeBound, 1)}/s)`}`);
  }
  return { pass: reasons.length === 0, reasons, lagBound, slopeBound: round(slopeBound, 1), verdicts };
}

/**
 * One sustained trial: a fixed rate for the whole trial while the bench samples the flow's watched
 * backlogs once a second (for Relay: each group's lag as the service reports it, GET /consumer
 * totalLag, and the outbox backlogs), judged by judgeSustainTrial.
 */
export async function runSustainTrial<K extends string>(flow: OrderFlow<K>, plan: BenchPlan, rate: number): Promise<SustainTrial<K>> {
  const pre = await flow.drain(plan.drainTimeoutSeconds, `sustain ${rate}/s pre-drain`);
  const firstCommits = await watchFirstCommits(flow, `sustain ${rate}/s`);
  try {
    return await sustainTrialWatched(flow, plan, rate, pre, firstCommits);
  } finally {
    await firstCommits.close();
  }
}

async function sustainTrialWatched<K extends string>(flow: OrderFlow<K>, plan: BenchPlan, rate: number, pre: DrainResult, firstCommits: DeliveryFirstCommits): Promise<SustainTrial<K>> {
  const samples: Array<BacklogSample<K>> = [];
  const started = Date.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const tick = Date.now();
      samples.push({ t: tick - started, ...(await flow.sampleBacklogs()) });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1_000 - (Date.now() - tick))));
    }
  })();
  const lastSample = (): string => {
    const s = samples[samples.length - 1];
    return s ? (Object.entries(flow.watched) as Array<[K, string]>).map(([key, name]) => `${name} ${s[key] ?? '?'}`).join(', ') : '';
  };
  const load = await loadOrders(flow.ordersUrl, plan, { rate, seconds: plan.sustainSeconds, label: `sustain ${rate}/s`, recordIds: true, detail: lastSample });
  sampling = false;
  await sampler;

  const http = summariseLoad(load);
  // What was left of the watched backlogs when the trial started (the pre-drain's own measure).
  const backlogAtStart = (Object.keys(flow.watched) as K[]).reduce((sum, key) => sum + (pre.remaining[key] ?? 0), 0);
  const judgement = judgeSustainTrial({ rate, http, samples, watched: flow.watched, backlogAtStart });
  await flow.drain(plan.drainTimeoutSeconds, `sustain ${rate}/s drain`);
  const times = await readProcessedTimes(flow, load.startedAtEpochMs, firstCommits, `sustain ${rate}/s`);
  const trial: SustainTrial<K> = { rate, seconds: plan.sustainSeconds, ...judgement, http, backlogAtStart: pre.remaining, endToEndMs: endToEnd(load, times), samples };
  const both = bothCommitted(trial.endToEndMs).figure;
  progress.step(`sustain ${rate}/s`, `${trial.pass ? 'PASS: no backlog grew' : `FAIL: ${trial.reasons.join('; ')}`}; 201→both committed p50 ${both?.p50 ?? 'n/a'} ms, p99 ${both?.p99 ?? 'n/a'} ms`);
  return trial;
}

/**
 * Walks the rate ladder from the first rate at or above `startRate` (lowered to the intake's
 * `saturation` when known): up after a pass, down after a failure, until the boundary between the
 * highest pass and the lowest failure is found or `maxTrials` ran.
 */
export async function walkSustainLadder<T extends { pass: boolean }>(
  options: { startRate: number; maxTrials: number; saturation?: number; ladder?: readonly number[] },
  runTrial: (rate: number) => Promise<T>,
): Promise<{ trials: T[]; highestSustainedRate: number | null; lowestFailedRate: number | null }> {
  const ladder = options.ladder ?? SUSTAIN_LADDER;
  const { saturation } = options;
  const trials: T[] = [];
  let index = ladder.findIndex((rate) => rate >= options.startRate);
  if (index < 0) index = ladder.length - 1;
  if (saturation !== undefined) {
    while (index > 0 && ladder[index] > saturation * 1.02) index--;
  }
  let highestPass: number | null = null;
  let lowestFail: number | null = null;
  while (trials.length < options.maxTrials && index >= 0 && index < ladder.length) {
    const rate = ladder[index];
    const trial = await runTrial(rate);
    trials.push(trial);
    if (trial.pass) {
      highestPass = Math.max(highestPass ?? 0, rate);
      index++;
      if (index >= ladder.length || (lowestFail !== null && ladder[index] >= lowestFail)) break;
      if (saturation !== undefined && ladder[index] > saturation * 1.02) break;
    } else {
      lowestFail = Math.min(lowestFail ?? Number.POSITIVE_INFINITY, rate);
      index--;
      if (index < 0 || (highestPass !== null && ladder[index] <= highestPass)) break;
    }
  }
  return { trials, highestSustainedRate: highestPass, lowestFailedRate: lowestFail };
}

/** The sustained search of one flow (Relay's or the peer's): the ladder walk over runSustainTrial. */
export async function runSustainSearch<K extends string>(flow: OrderFlow<K>, plan: BenchPlan, saturation: number | undefined): Promise<SustainedSearch<K>> {
  const walk = await walkSustainLadder({ startRate: plan.sustainStartRate, maxTrials: plan.sustainMaxTrials, saturation }, (rate) => runSustainTrial(flow, plan, rate));
  return {
    ...walk,
    criteria: `fixed open-loop rate for the whole trial; pass = HTTP achieved ≥ 98 % of the rate with ≤ 0.1 % failed requests, and for ${Object.values(flow.watched).join(', ')} (${flow.sampledHow}, 1 Hz): end ≤ max(200, rate) + backlog at start and least-squares growth over the second half ≤ max(5, 1 % of rate) per second`,
  };
}

export async function runEndToEnd(stack: BenchStack, pipeline: Pipeline, plan: BenchPlan, saturation: number | undefined): Promise<EndToEndResults> {
  const flow = pipelineFlow(stack, pipeline);
  const latencyRuns: LatencyRun[] = [];
  // Otherwise whichever latency run came first would carry the start's warm-up (when no phase ran before).
  await warmUp(flow, plan);
  for (const { rate, seconds } of plan.latencyRuns) latencyRuns.push(await runLatencyRun(flow, plan, rate, seconds));
  const sustained = await runSustainSearch(flow, plan, saturation);
  const final = await backlogOf(stack, pipeline);
  progress.say(`end-to-end done; backlog now: ${describeBacklog(final)}`);
  return { latencyRuns, sustained };
}
