import { runLoad } from '../load/run-load';
import { LoadResult } from '../load/load-protocol';
import { BENCH_SKUS } from '../events';
import { BenchPlan } from '../options';
import { OrderFlow, Pipeline, waitForDrain } from '../pipeline';
import { progress } from '../progress';
import { BenchStack } from '../stack';
import { Distribution, distribution, round } from '../stats';

export interface RestStep {
  offeredRate: number;
  seconds: number;
  sent: number;
  ok201: number;
  non2xx: number;
  errors: number;
  unfinished: number;
  achievedRate: number;
  /** From each request's scheduled send time to its response (queueing included). */
  latencyMs: Distribution | null;
  generatorSendLagMs: number;
  drainSecondsAfter: number;
  drainedAfter: boolean;
}

export interface RestResults {
  steps: RestStep[];
  /** Highest achieved rate of 201s over the sweep. */
  saturation: number;
  maxSockets: number;
}

export function summariseLoad(result: LoadResult): Omit<RestStep, 'drainSecondsAfter' | 'drainedAfter'> {
  return {
    offeredRate: result.offeredRate,
    seconds: result.plannedSeconds,
    sent: result.sent,
    ok201: result.ok201,
    non2xx: result.non2xx,
    errors: result.errors,
    unfinished: result.unfinished,
    achievedRate: round(result.achievedRate, 1),
    latencyMs: distribution(result.okLatenciesMs),
    generatorSendLagMs: round(result.sendLagMs, 1),
  };
}

export function loadProgressText(rate: number): (p: { sent: number; ok: number; errors: number } | undefined) => string {
  return (p) => (p ? `${p.sent} sent, ${p.ok} × 201${p.errors ? `, ${p.errors} errors` : ''}` : `${rate}/s`);
}

/**
 * Open-loop POST /orders at one rate for a while, with a progress line showing what it sent (and
 * `detail`, if given). `recordIds` keeps each created order's id and time, for end-to-end latency.
 */
export async function loadOrders(
  ordersUrl: string,
  plan: BenchPlan,
  options: { rate: number; seconds: number; label: string; recordIds: boolean; detail?: () => string },
): Promise<LoadResult> {
  const { rate, seconds } = options;
  let last: { sent: number; ok: number; errors: number } | undefined;
  return progress.countdown(
    options.label,
    seconds * 1000,
    runLoad(
      {
        url: ordersUrl,
        path: '/orders',
        rate,
        durationMs: seconds * 1000,
        maxSockets: plan.maxSockets,
        skus: BENCH_SKUS,
        recordIds: options.recordIds,
        requestTimeoutMs: plan.requestTimeoutMs,
        drainTimeoutMs: plan.loadDrainTimeoutMs,
      },
      (p) => (last = p),
    ),
    () => [loadProgressText(rate)(last), options.detail?.()].filter(Boolean).join('; '),
    plan.quick ? 2_000 : 5_000,
  );
}

/**
 * Load before a measured phase, not recorded: the first seconds after a start are JIT compilation
 * and connection set-up, which would count against the first rate (seconds of p99 at 250/s from a
 * stack that takes 500/s). Run it outside the phase's CPU window where the phase has one.
 */
export async function warmUp(flow: OrderFlow, plan: BenchPlan): Promise<void> {
  await loadOrders(flow.ordersUrl, plan, { rate: 250, seconds: plan.quick ? 3 : 5, label: 'warm-up 250/s', recordIds: false });
  await flow.drain(plan.restDrainSeconds, 'warm-up drain');
}

/** Open-loop sweep of POST /orders at fixed rates, with the whole pipeline running behind it. */
export async function runRestSweep(stack: BenchStack, pipeline: Pipeline, plan: BenchPlan): Promise<RestResults> {
  const steps: RestStep[] = [];
  for (const rate of plan.restRates) {
    const step = summariseLoad(await loadOrders(pipeline.orders.url, plan, { rate, seconds: plan.restStepSeconds, label: `${rate}/s`, recordIds: false }));
    progress.step(
      `${rate}/s`,
      `achieved ${step.achievedRate}/s, non-2xx ${step.non2xx}, errors ${step.errors}, p50 ${step.latencyMs?.p50 ?? 'n/a'} ms, p99 ${step.latencyMs?.p99 ?? 'n/a'} ms`,
    );
    const drain = await waitForDrain(stack, pipeline, plan.restDrainSeconds, `${rate}/s drain`);
    steps.push({ ...step, drainSecondsAfter: round(drain.seconds, 1), drainedAfter: drain.drained });
  }
  return { steps, saturation: Math.max(0, ...steps.map((step) => step.achievedRate)), maxSockets: plan.maxSockets };
}
