import { Topics } from '@relay/contracts';
import { LoadTopicResult, produceOrderEvents } from '../events';
import { BenchPlan } from '../options';
import { seedStock } from '../pipeline';
import { ProfileWindows } from '../profiling';
import { progress } from '../progress';
import { BenchStack, ServiceHandle } from '../stack';
import { round, sleep } from '../stats';

export interface CatchUpRun {
  instances: number;
  events: number;
  completed: boolean;
  /** Spawn of the first instance → lag 0. */
  wallSeconds: number;
  /** Spawn → every instance listening (boot, migrations). */
  bootSeconds: number;
  /** First committed progress → lag 0. */
  processingSeconds: number;
  /** Events per second between the first committed progress and lag 0: the figure compared. */
  eventsPerSecond: number;
  /** All N events over the whole wall time, boot and group join included. */
  wallEventsPerSecond: number;
  /** Events each instance applied (GET /consumer counters). */
  appliedPerInstance: number[];
  lagTimeline: Array<{ t: number; lag: number }>;
}

export interface CatchUpResults {
  topic: string;
  events: number;
  load: LoadTopicResult;
  single: CatchUpRun;
  triple: CatchUpRun;
  /** triple / single */
  scaling: number;
}

export interface GroupSetup {
  schema: string;
  group: string;
  label: string;
}

/**
 * Inventory schemas as the service makes them (its migrations) with the bench's stock, and their
 * groups positioned at the current end of `topic`, so they read exactly what is loaded after: one
 * instance per setup runs for that, then stops.
 */
export async function prepareInventorySchemas(stack: BenchStack, setups: readonly GroupSetup[], topic: string): Promise<void> {
  for (const setup of setups) await stack.positionGroupAtEnd(setup.group, [topic]);
  const seeders = await Promise.all(
    setups.map((setup) => stack.startService({ label: `${setup.label}-seed`, service: 'inventory', schema: setup.schema, group: setup.group })),
  );
  await Promise.all(seeders.map((handle) => stack.waitUntilJoined(handle)));
  await Promise.all(seeders.map((handle) => seedStock(handle)));
  await Promise.all(seeders.map((handle) => stack.stopService(handle.label)));
}

/** Starts one instance per label in parallel; the handles come back once all are listening. */
async function startInstances(stack: BenchStack, setup: GroupSetup, count: number): Promise<ServiceHandle[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      stack.startService({ label: count === 1 ? setup.label : `${setup.label}-${i + 1}`, service: 'inventory', schema: setup.schema, group: setup.group }),
    ),
  );
}

async function appliedBy(handle: ServiceHandle): Promise<number> {
  try {
    const response = await fetch(`${handle.managementUrl}/consumer`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { counters?: { applied?: number } };
    return body.counters?.applied ?? 0;
  } catch {
    return -1;
  }
}

async function measureCatchUp(stack: BenchStack, setup: GroupSetup, instances: number, events: number, plan: BenchPlan, profiles?: ProfileWindows): Promise<CatchUpRun> {
  const topics = [Topics.orderEvents];
  stack.sampler.setPhase(`catchup-${instances}x-boot`);
  const spawnedAt = Date.now();
  const timeline: Array<{ t: number; lag: number }> = [];
  let sampling = true;
  let firstProgress: { t: number; lag: number } | undefined;
  let doneAt: number | undefined;
  // Lag is polled from the bench's own admin client from the moment the processes are spawned.
  const sampler = (async () => {
    while (sampling) {
      const t = Date.now() - spawnedAt;
      const lag = await stack.groupLag(setup.group, topics).catch(() => Number.NaN);
      if (Number.isFinite(lag)) {
        timeline.push({ t, lag });
        if (firstProgress === undefined && lag < events) firstProgress = { t, lag };
        if (lag === 0) {
          doneAt = t;
          return;
        }
      }
      await sleep(250);
    }
  })();
  const handles = await startInstances(stack, setup, instances);
  const bootSeconds = (Date.now() - spawnedAt) / 1000;
  // CPU from here on is the processing (boot, migrations and Nest start-up are the phase before).
  stack.sampler.setPhase(`catchup-${instances}x`);
  for (const handle of handles) if (handle.profiled) profiles?.start(handle.pid, handle.label, `catchup${instances}`);
  const timeoutMs = plan.catchupTimeoutSeconds * 1000;
  let lastPrint = 0;
  while (doneAt === undefined && Date.now() - spawnedAt < timeoutMs) {
    if (Date.now() - lastPrint >= (plan.quick ? 3_000 : 5_000)) {
      lastPrint = Date.now();
      const last = timeline[timeline.length - 1];
      const t = (Date.now() - spawnedAt) / 1000;
      const rate = firstProgress && last ? (firstProgress.lag - last.lag) / Math.max(0.001, (last.t - firstProgress.t) / 1000) : 0;
      progress.step(`${instances} instance${instances > 1 ? 's' : ''}`, `lag ${last?.lag ?? '?'} of ${events} after ${Math.round(t)} s${rate > 0 ? ` (${Math.round(rate)} events/s)` : ''}`);
    }
    await sleep(250);
  }
  sampling = false;
  await sampler;
  if (handles.some((handle) => handle.profiled)) stack.sampler.setPhase(`catchup-${instances}x-profile-write`);
  for (const handle of handles) if (handle.profiled) await profiles?.stop(handle.pid);
  const appliedPerInstance = await Promise.all(handles.map((handle) => appliedBy(handle)));
  await Promise.all(handles.map((handle) => stack.stopService(handle.label)));

  const last = timeline[timeline.length - 1] ?? { t: Date.now() - spawnedAt, lag: events };
  const completed = doneAt !== undefined;
  const endT = doneAt ?? last.t;
  const startLag = firstProgress?.lag ?? events;
  const processed = startLag - (completed ? 0 : last.lag);
  const processingSeconds = firstProgress ? (endT - firstProgress.t) / 1000 : 0;
  const run: CatchUpRun = {
    instances,
    events,
    completed,
    wallSeconds: round(endT / 1000, 2),
    bootSeconds: round(bootSeconds, 2),
    processingSeconds: round(processingSeconds, 2),
    eventsPerSecond: processingSeconds > 0 ? round(processed / processingSeconds, 1) : 0,
    wallEventsPerSecond: round((events - (completed ? 0 : last.lag)) / (endT / 1000), 1),
    appliedPerInstance,
    lagTimeline: timeline.filter((_, i) => i % 4 === 0 || i === timeline.length - 1),
  };
  progress.step(
    `${instances} instance${instances > 1 ? 's' : ''}`,
    `${completed ? 'caught up' : 'TIMED OUT'}: ${run.eventsPerSecond} events/s (${run.wallEventsPerSecond}/s including ${run.bootSeconds} s boot and join)`,
  );
  return run;
}

/**
 * Catch-up: with no consumer running, N order-placed events are put on the topic, stamped with a
 * producer id and sequences as a relay stamps the services' events (produceOrderEvents), then one
 * inventory instance (a fresh group and schema) works through them until its lag is 0; then three
 * instances of another fresh group do the same. Every event takes the full path: decode, the
 * partition's position (one row per partition, locked and stored per chunk), stock lock and update,
 * reservation, stock-reserved event in the outbox (and the relay publishing it).
 */
export async function runCatchUp(stack: BenchStack, plan: BenchPlan, profiles?: ProfileWindows): Promise<CatchUpResults> {
  const topic = Topics.orderEvents;
  const events = plan.catchupEvents;
  await stack.ensureTopic(topic);
  const single: GroupSetup = { schema: stack.schemaFor('inventory_cu1'), group: stack.groupFor('inventory-cu1'), label: 'inventory-cu1' };
  const triple: GroupSetup = { schema: stack.schemaFor('inventory_cu3'), group: stack.groupFor('inventory-cu3'), label: 'inventory-cu3' };

  stack.sampler.setPhase('catchup-setup');
  progress.step('setup', 'creating the catch-up schemas and their stock');
  await prepareInventorySchemas(stack, [single, triple], topic);

  stack.sampler.setPhase('catchup-load');
  let lastPrint = 0;
  const load = await produceOrderEvents(stack.kafka, topic, events, {
    onProgress: (done) => {
      if (Date.now() - lastPrint < 3_000 && done < events) return;
      lastPrint = Date.now();
      progress.step('load', `${done} of ${events} events on ${topic}`);
    },
  });
  progress.step('load', `${events} events (${load.valueBytes} B each, producer ${load.producer}) in ${round(load.seconds, 1)} s: ${Math.round(load.eventsPerSecond)} events/s`);

  const one = await measureCatchUp(stack, single, 1, events, plan, profiles);
  const three = await measureCatchUp(stack, triple, 3, events, plan, profiles);
  stack.sampler.setPhase('catchup-done');
  return { topic, events, load, single: one, triple: three, scaling: one.eventsPerSecond > 0 ? round(three.eventsPerSecond / one.eventsPerSecond, 2) : 0 };
}
