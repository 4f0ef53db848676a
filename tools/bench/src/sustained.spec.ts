import { parseBenchArgs } from './options';
import { BacklogSample, judgeSustainTrial, SUSTAIN_LADDER, walkSustainLadder } from './phases/end-to-end';
import { peerComparisonLine } from './report';
import { peerTarget } from './results';

const http = (rate: number, overrides: Partial<{ achievedRate: number; non2xx: number; errors: number; unfinished: number }> = {}) => ({
  offeredRate: rate,
  seconds: 30,
  sent: rate * 30,
  ok201: rate * 30,
  non2xx: 0,
  errors: 0,
  unfinished: 0,
  achievedRate: rate,
  latencyMs: null,
  generatorSendLagMs: 0,
  ...overrides,
});

/** One sample a second for `seconds`, each backlog given as a function of the second. */
function samples<K extends string>(seconds: number, series: Record<K, (s: number) => number | null>): Array<BacklogSample<K>> {
  return Array.from({ length: seconds }, (_, s) => {
    const sample = { t: s * 1000 } as BacklogSample<K>;
    for (const [key, value] of Object.entries(series) as Array<[K, (s: number) => number | null]>) (sample as Record<K, number | null>)[key] = value(s);
    return sample;
  });
}

describe('the sustained search, shared by Relay and the peer', () => {
  const peerWatched = { inventoryLag: 'peer inventory lag', deliveryLag: 'peer delivery lag' };

  it('passes a trial whose watched backlogs stay flat, judging only the backlogs the flow watches', () => {
    const judged = judgeSustainTrial({
      rate: 1000,
      http: http(1000),
      samples: samples(30, { inventoryLag: () => 40, deliveryLag: (s) => 30 + (s % 3) }),
      watched: peerWatched,
      backlogAtStart: 0,
    });
    expect(judged).toMatchObject({ pass: true, reasons: [], lagBound: 1000, slopeBound: 10 });
    expect(Object.keys(judged.verdicts)).toEqual(['inventoryLag', 'deliveryLag']);
  });

  it('fails a trial when a backlog grows, ends above one second of events, or is never measured, and says which', () => {
    const judged = judgeSustainTrial({
      rate: 500,
      http: http(500, { achievedRate: 450, errors: 100 }),
      samples: samples(30, { inventoryLag: (s) => 100 * s, deliveryLag: () => null }),
      watched: peerWatched,
      backlogAtStart: 50,
    });
    expect(judged.pass).toBe(false);
    expect(judged.lagBound).toBe(550);
    expect(judged.reasons).toEqual([
      'HTTP achieved 450/s < 98 % of 500/s',
      '100 of 15000 requests failed',
      'peer inventory lag ended at 2900 (bound 550), growing 100/s (bound 5/s)',
      'peer delivery lag not measured',
    ]);
  });

  it('walks the ladder down after failures and stops between the highest pass and the lowest failure', async () => {
    const tried: number[] = [];
    const walk = await walkSustainLadder({ startRate: 2000, maxTrials: 10 }, async (rate) => {
      tried.push(rate);
      return { pass: rate <= 600 };
    });
    expect(tried).toEqual([2000, 1500, 1000, 750, 500]);
    expect(walk).toMatchObject({ highestSustainedRate: 500, lowestFailedRate: 750 });
  });

  it('walks up after passes, never above the intake saturation, and stops at the trial limit', async () => {
    const capped = await walkSustainLadder({ startRate: 250, maxTrials: 10, saturation: 800 }, async () => ({ pass: true }));
    expect(capped.trials).toHaveLength(4);
    expect(capped).toMatchObject({ highestSustainedRate: 750, lowestFailedRate: null });
    const limited = await walkSustainLadder({ startRate: 2000, maxTrials: 1 }, async () => ({ pass: false }));
    expect(limited).toMatchObject({ highestSustainedRate: null, lowestFailedRate: 2000 });
    expect(SUSTAIN_LADDER).toContain(2000);
  });
});

describe('the peer in the report', () => {
  const search = (highestSustainedRate: number | null, lowestFailedRate: number | null) => ({ highestSustainedRate, lowestFailedRate });

  it('prints the peer rate and Relay / peer as a ratio beside Relay rate and both CPU costs', () => {
    expect(peerComparisonLine({ relay: search(500, 750), peer: search(1000, 1500), relayCpu: { systemMsPerUnit: 3.25 }, peerCpu: { systemMsPerUnit: 1.5 } })).toBe(
      'peer (naive NestJS) sustained 1,000 orders/s (1,500/s failed); Relay / peer = 0.50× (Relay sustained 500 orders/s (750/s failed)); CPU per order: Relay 3.25 ms (e2e phase), peer 1.50 ms',
    );
  });

  it('bounds the ratio when one search passed no rate, and says why there is none', () => {
    expect(peerComparisonLine({ relay: search(200, 250), peer: search(null, 100) })).toBe(
      'peer (naive NestJS) sustained none of the rates tried (100/s failed); Relay / peer > 2.00× (Relay sustained 200 orders/s (250/s failed))',
    );
    expect(peerComparisonLine({ relay: search(null, 250), peer: search(500, 750) })).toBe(
      'peer (naive NestJS) sustained 500 orders/s (750/s failed); Relay / peer < 0.50× (Relay sustained none of the rates tried (250/s failed))',
    );
    expect(peerComparisonLine({ peer: search(750, null) })).toBe('peer (naive NestJS) sustained 750 orders/s; Relay / peer = n/a (the e2e phase did not run)');
    expect(peerComparisonLine({ relay: search(null, 2000), peer: search(null, 2000) })).toBe(
      'peer (naive NestJS) sustained none of the rates tried (2,000/s failed); Relay / peer = n/a (Relay sustained none of the rates tried (2,000/s failed))',
    );
  });

  it('checks the ≥ 1.0× target only when both searches ran', () => {
    const results = (ours: number | null, peer: number | null, peerFailed: number | null = null) => ({
      endToEnd: { latencyRuns: [], sustained: { trials: [], highestSustainedRate: ours, lowestFailedRate: null, criteria: '' } },
      peer: { description: '', sustained: { trials: [], highestSustainedRate: peer, lowestFailedRate: peerFailed, criteria: '' } },
    });
    expect(peerTarget(results(1000, 1000))).toMatchObject({ status: 'PASS', actual: '1.00× (1000 vs 1000 orders/s)' });
    expect(peerTarget(results(500, 1000))).toMatchObject({ status: 'MISS', actual: '0.50× (500 vs 1000 orders/s)' });
    expect(peerTarget(results(null, 250)).status).toBe('MISS');
    expect(peerTarget(results(null, null, 2000)).status).toBe('n/a');
    expect(peerTarget(results(1000, null, 500)).status).toBe('PASS');
    expect(peerTarget(results(250, null, 500)).status).toBe('n/a');
    expect(peerTarget({ endToEnd: results(1, 1).endToEnd }).status).toBe('n/a');
  });

  it('runs the peer phase by default and on its own with --only peer', () => {
    expect(parseBenchArgs([])).toMatchObject({ phases: ['rest', 'e2e', 'peer', 'catchup', 'baselines', 'memory'], sustainMaxTrials: 4 });
    expect(parseBenchArgs(['--quick', '--only', 'peer,e2e', '--sustain-trials', '3'])).toMatchObject({ phases: ['e2e', 'peer'], sustainMaxTrials: 3 });
  });
});
