import { LoadResult } from '../load/load-protocol';
import { BenchPlan } from '../options';
import { backlogOf, Backlog, describeBacklog, Pipeline, processedTimes, waitForDrain } from '../pipeline';
import { progress } from '../progress';
import { BenchStack } from '../stack';
import { Distribution, distribution, round, slopePerSecond } from '../stats';
import { loadOrders, RestStep, summariseLoad, warmUp } from './rest-sweep';

export interface EndToEndLatency {
  /** 201 → inventory processed order.placed.v1. */
  inventory: Distribution | null;
  /** 201 → delivery processed order.placed.v1. */
  delivery: Distribution | null;
  /** 201 → both have processed it (the later of the two, per order). */
  both: Distribution | null;
  /** 201 → delivery processed stock.reserved.v1 (the delivery is SCHEDULED: the whole chain). */
  deliveryScheduled: Distribution | null;
  /**
   * Where the time to "both" goes: 201 → the relay stamped the row (Kafka acknowledged it), then
   * stamped → each consumer's transaction began. Clocks of one machine; the stamp is PostgreSQL's.
   */
  stages: { published: Distribution | null; publishedToInventory: Distribution | null; publishedToDelivery: Distribution | null };
  orders: number;
  /** Orders with a 201 that a group had not processed when the bench looked (after draining). */
  missing: { inventory: number; delivery: number; deliveryScheduled: number };
}

export interface LatencyRun {
  rate: number;
  seconds: number;
  http: Omit<RestStep, 'drainSecondsAfter' | 'drainedAfter'>;
  endToEndMs: EndToEndLatency;
  drainedBeforeStart: boolean;
}

export interface LagSample {
  /** ms since the trial started */
  t: number;
  inventoryLag: number | null;
  deliveryLag: number | null;
  ordersOutbox: number | null;
  inventoryOutbox: number | null;
}

export interface SeriesVerdict {
  end: number | null;
  max: number | null;
  /** Least-squares growth over the second half of the trial, per second. */
  slopePerSecond: number;
  ok: boolean;
}

export interface SustainTrial {
  rate: number;
  seconds: number;
  pass: boolean;
  reasons: string[];
  http: Omit<RestStep, 'drainSecondsAfter' | 'drainedAfter'>;
  lagBound: number;
  slopeBound: number;
  inventoryLag: SeriesVerdict;
  deliveryLag: SeriesVerdict;
  ordersOutbox: SeriesVerdict;
  inventoryOutbox: SeriesVerdict;
  backlogAtStart: Backlog;
  endToEndMs: EndToEndLatency;
  samples: LagSample[];
}

export interface EndToEndResults {
  latencyRuns: LatencyRun[];
  sustained: {
    trials: SustainTrial[];
    /** Highest rate that passed; null if none did. */
    highestSustainedRate: number | null;
    /** Lowest rate that failed, if any. */
    lowestFailedRate: number | null;
    criteria: string;
  };
}

const LADDER = [25, 50, 100, 150, 200, 250, 375, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000];

function endToEnd(load: LoadResult, times: Awaited<ReturnType<typeof processedTimes>>): EndToEndLatency {
  const inventory: number[] = [];
  const delivery: number[] = [];
  const both: number[] = [];
  const scheduled: number[] = [];
  const published: number[] = [];
  const publishedToInventory: number[] = [];
  const publishedToDelivery: number[] = [];
  const missing = { inventory: 0, delivery: 0, deliveryScheduled: 0 };
  for (let i = 0; i < load.ids.length; i++) {
    const id = load.ids[i];
    const at = load.okAtEpochMs[i];
    const inv = times.inventory.get(id);
    const del = times.delivery.get(id);
    const sch = times.deliveryScheduled.get(id);
    if (inv === undefined) missing.inventory++;
    else inventory.push(inv - at);
    if (del === undefined) missing.delivery++;
    else delivery.push(del - at);
    if (inv !== undefined && del !== undefined) both.push(Math.max(inv, del) - at);
    if (sch === undefined) missing.deliveryScheduled++;
    else scheduled.push(sch - at);
    const pub = times.published.get(id);
    if (pub !== undefined) {
      published.push(pub - at);
      if (inv !== undefined) publishedToInventory.push(inv - pub);
      if (del !== undefined) publishedToDelivery.push(del - pub);
    }
  }
  return {
    inventory: distribution(inventory),
    delivery: distribution(delivery),
    both: distribution(both),
    deliveryScheduled: distribution(scheduled),
    stages: { published: distribution(published), publishedToInventory: distribution(publishedToInventory), publishedToDelivery: distribution(publishedToDelivery) },
    orders: load.ids.length,
    missing,
  };
}

export async function runLatencyRun(stack: BenchStack, pipeline: Pipeline, plan: BenchPlan, rate: number, seconds: number): Promise<LatencyRun> {
  const before = await waitForDrain(stack, pipeline, plan.drainTimeoutSeconds, `${rate}/s pre-drain`);
  const load = await loadOrders(pipeline, plan, { rate, seconds, label: `latency ${rate}/s`, recordIds: true });
  await waitForDrain(stack, pipeline, plan.drainTimeoutSeconds, `latency ${rate}/s drain`);
  const times = await processedTimes(stack, pipeline, load.startedAtEpochMs);
  const run: LatencyRun = { rate, seconds, http: summariseLoad(load), endToEndMs: endToEnd(load, times), drainedBeforeStart: before.drained };
  const e = run.endToEndMs;
  progress.step(
    `latency ${rate}/s`,
    `201→both p50 ${e.both?.p50 ?? 'n/a'} ms, p99 ${e.both?.p99 ?? 'n/a'} ms (inventory p99 ${e.inventory?.p99 ?? 'n/a'}, delivery p99 ${e.delivery?.p99 ?? 'n/a'}); ${describeStages(e)}; HTTP p99 ${run.http.latencyMs?.p99 ?? 'n/a'} ms`,
  );
  return run;
}

/** "201→stamped p50 a ms, stamped→inventory b, stamped→delivery c": where the median goes. */
export function describeStages(e: EndToEndLatency): string {
  const p50 = (d: Distribution | null) => d?.p50 ?? 'n/a';
  return `p50 201→stamped ${p50(e.stages.published)} ms, stamped→inventory ${p50(e.stages.publishedToInventory)}, stamped→delivery ${p50(e.stages.publishedToDelivery)}`;
}

function verdict(samples: LagSample[], key: keyof Omit<LagSample, 't'>, bound: number, slopeBound: number): SeriesVerdict {
  const points = samples.filter((s) => s[key] !== null).map((s) => ({ t: s.t, v: s[key] as number }));
  if (points.length === 0) return { end: null, max: null, slopePerSecond: 0, ok: false };
  const secondHalf = points.slice(Math.floor(points.length / 2));
  const slope = slopePerSecond(secondHalf);
  const end = points[points.length - 1].v;
  const max = Math.max(...points.map((p) => p.v));
  return { end, max, slopePerSecond: round(slope, 1), ok: end <= bound && slope <= slopeBound };
}

/**
 * One sustained trial: a fixed rate for the whole trial while the bench polls each group's lag as the
 * service reports it (GET /consumer totalLag, once a second) and the outbox backlogs. Passes when the
 * HTTP side took the load and no backlog grew (end ≤ one second's worth of events, least-squares
 * growth over the second half ≤ 1 % of the rate per second).
 */
export async function runSustainTrial(stack: BenchStack, pipeline: Pipeline, plan: BenchPlan, rate: number): Promise<SustainTrial> {
  const pre = await waitForDrain(stack, pipeline, plan.drainTimeoutSeconds, `sustain ${rate}/s pre-drain`);
  const backlogAtStart = pre.remaining;
  const samples: LagSample[] = [];
  const started = Date.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const tick = Date.now();
      const [inventoryLag, deliveryLag, ordersOutbox, inventoryOutbox] = await Promise.all([
        stack.consumerLag(pipeline.inventory),
        stack.consumerLag(pipeline.delivery),
        stack.outboxBacklog(pipeline.orders.schema),
        stack.outboxBacklog(pipeline.inventory.schema),
      ]);
      samples.push({ t: tick - started, inventoryLag, deliveryLag, ordersOutbox, inventoryOutbox });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1_000 - (Date.now() - tick))));
    }
  })();
  const lastSample = (): string => {
    const s = samples[samples.length - 1];
    return s ? `lag inventory ${s.inventoryLag ?? '?'}, delivery ${s.deliveryLag ?? '?'}, outbox ${s.ordersOutbox ?? '?'}` : '';
  };
  const load = await loadOrders(pipeline, plan, { rate, seconds: plan.sustainSeconds, label: `sustain ${rate}/s`, recordIds: true, detail: lastSample });
  sampling = false;
  await sampler;

  const lagBound = Math.max(200, rate) + totalOf(backlogAtStart);
  const slopeBound = Math.max(5, rate * 0.01);
  const inventoryLag = verdict(samples, 'inventoryLag', lagBound, slopeBound);
  const deliveryLag = verdict(samples, 'deliveryLag', lagBound, slopeBound);
  const ordersOutbox = verdict(samples, 'ordersOutbox', lagBound, slopeBound);
  const inventoryOutbox = verdict(samples, 'inventoryOutbox', lagBound, slopeBound);
  const http = summariseLoad(load);
  const reasons: string[] = [];
  if (http.achievedRate < rate * 0.98) reasons.push(`HTTP achieved ${http.achievedRate}/s < 98 % of ${rate}/s`);
  const failed = http.non2xx + http.errors + http.unfinished;
  if (failed > http.sent * 0.001) reasons.push(`${failed} of ${http.sent} requests failed`);
  for (const [name, v] of Object.entries({ 'inventory lag': inventoryLag, 'delivery lag': deliveryLag, 'orders outbox': ordersOutbox, 'inventory outbox': inventoryOutbox })) {
    if (!v.ok) reasons.push(`${name} ${v.end === null ? 'not measured' : `ended at ${v.end} (bound ${lagBound}), growing ${v.slopePerSecond}/s (bound ${round(slopeBound, 1)}/s)`}`);
  }

  await waitForDrain(stack, pipeline, plan.drainTimeoutSeconds, `sustain ${rate}/s drain`);
  const times = await processedTimes(stack, pipeline, load.startedAtEpochMs);
  const trial: SustainTrial = {
    rate,
    seconds: plan.sustainSeconds,
    pass: reasons.length === 0,
    reasons,
    http,
    lagBound,
    slopeBound: round(slopeBound, 1),
    inventoryLag,
    deliveryLag,
    ordersOutbox,
    inventoryOutbox,
    backlogAtStart,
    endToEndMs: endToEnd(load, times),
    samples,
  };
  progress.step(`sustain ${rate}/s`, `${trial.pass ? 'PASS: no backlog grew' : `FAIL: ${reasons.join('; ')}`}; ${describeStages(trial.endToEndMs)}`);
  return trial;
}

const totalOf = (backlog: Backlog): number => backlog.inventoryLag + backlog.deliveryLag + backlog.ordersOutbox + backlog.inventoryOutbox;

/** Walks the rate ladder from the start rate: up after a pass, down after a failure. */
export async function runSustainSearch(stack: BenchStack, pipeline: Pipeline, plan: BenchPlan, saturation: number | undefined): Promise<EndToEndResults['sustained']> {
  const trials: SustainTrial[] = [];
  let index = LADDER.findIndex((rate) => rate >= plan.sustainStartRate);
  if (index < 0) index = LADDER.length - 1;
  if (saturation !== undefined) {
    while (index > 0 && LADDER[index] > saturation * 1.02) index--;
  }
  let highestPass: number | null = null;
  let lowestFail: number | null = null;
  while (trials.length < plan.sustainMaxTrials && index >= 0 && index < LADDER.length) {
    const rate = LADDER[index];
    const trial = await runSustainTrial(stack, pipeline, plan, rate);
    trials.push(trial);
    if (trial.pass) {
      highestPass = Math.max(highestPass ?? 0, rate);
      index++;
      if (index >= LADDER.length || (lowestFail !== null && LADDER[index] >= lowestFail)) break;
      if (saturation !== undefined && LADDER[index] > saturation * 1.02) break;
    } else {
      lowestFail = Math.min(lowestFail ?? Number.POSITIVE_INFINITY, rate);
      index--;
      if (index < 0 || (highestPass !== null && LADDER[index] <= highestPass)) break;
    }
  }
  return {
    trials,
    highestSustainedRate: highestPass,
    lowestFailedRate: lowestFail,
    criteria:
      'fixed open-loop rate for the whole trial; pass = HTTP achieved ≥ 98 % of the rate with ≤ 0.1 % failed requests, and for inventory lag, delivery lag (GET /consumer totalLag, 1 Hz), orders outbox and inventory outbox backlogs: end ≤ max(200, rate) + backlog at start and least-squares growth over the second half ≤ max(5, 1 % of rate) per second',
  };
}

export async function runEndToEnd(stack: BenchStack, pipeline: Pipeline, plan: BenchPlan, saturation: number | undefined): Promise<EndToEndResults> {
  const latencyRuns: LatencyRun[] = [];
  // Otherwise whichever latency run came first would carry the start's warm-up (when no phase ran before).
  await warmUp(stack, pipeline, plan);
  for (const { rate, seconds } of plan.latencyRuns) latencyRuns.push(await runLatencyRun(stack, pipeline, plan, rate, seconds));
  const sustained = await runSustainSearch(stack, pipeline, plan, saturation);
  const final = await backlogOf(stack, pipeline);
  progress.say(`end-to-end done; backlog now: ${describeBacklog(final)}`);
  return { latencyRuns, sustained };
}
