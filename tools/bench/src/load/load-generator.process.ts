/**
 * Open-loop HTTP load generator, run as its own OS process (see runLoad). Requests are sent on a
 * fixed schedule (request i at start + i/rate) whatever the server does: a slow server does not
 * slow the offered load down, requests wait for a free connection instead, and each latency is
 * measured from the request's *scheduled* time, so queueing in front of a saturated server is
 * counted (no coordinated omission).
 *
 * autocannon's `overallRate` was not used: it gives each connection a per-second quota that is sent
 * back to back at the start of every second, i.e. bursts of `rate` requests at once, not a fixed
 * rate.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { benchCustomerId, type LoadConfig, type LoadMessage, type LoadResult } from './load-protocol';

const ID_PATTERN = /"id"\s*:\s*"([0-9a-f-]{36})"/;

function bodyFor(config: LoadConfig, i: number): string {
  const sku = config.skus[i % config.skus.length];
  return `{"customerId":"${benchCustomerId(i)}","items":[{"sku":"${sku}","quantity":1}]}`;
}

async function run(config: LoadConfig): Promise<LoadResult> {
  const url = new URL(config.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: config.maxSockets, maxFreeSockets: config.maxSockets, scheduling: 'fifo' });
  const total = Math.max(1, Math.round((config.rate * config.durationMs) / 1000));
  const intervalMs = 1000 / config.rate;
  const { credentials } = config;
  // Per request: latency from the scheduled send time (NaN until answered), status code.
  const latency = new Float64Array(total).fill(Number.NaN);
  const status = new Uint16Array(total);
  const ids: string[] = [];
  const okAt: number[] = [];
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let ok = 0;
  let lastCompletion = 0;
  const errorKinds: Record<string, number> = {};
  const start = performance.now() + 20;
  const epochOf = (t: number) => performance.timeOrigin + t;

  let resolveDone: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (resolveDone = resolve));
  const finish = (): void => {
    completed += 1;
    lastCompletion = performance.now();
    if (completed === total) resolveDone();
  };

  const fire = (i: number): void => {
    const scheduled = start + i * intervalMs;
    const body = bodyFor(config, i);
    const request = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: config.path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), [credentials.header]: credentials.values[i % credentials.values.length] },
      },
      (response) => {
        const code = response.statusCode ?? 0;
        const wantBody = config.recordIds && code === 201;
        let text = '';
        if (wantBody) response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        else response.resume();
        response.on('end', () => {
          const now = performance.now();
          latency[i] = now - scheduled;
          status[i] = code;
          if (code === 201) {
            ok += 1;
            if (wantBody) {
              const match = ID_PATTERN.exec(text);
              if (match) {
                ids.push(match[1]);
                okAt.push(epochOf(now));
              }
            }
          }
          finish();
        });
        response.on('error', () => undefined);
      },
    );
    request.setTimeout(config.requestTimeoutMs, () => request.destroy(new Error('request timeout')));
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (status[i] !== 0 || !Number.isNaN(latency[i])) return;
      status[i] = 1;
      errors += 1;
      const kind = error.code ?? error.message;
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
      finish();
    });
    request.end(body);
  };

  const progressTimer = setInterval(() => {
    const message: LoadMessage = { type: 'progress', sent, completed, ok, errors };
    process.send?.(message);
  }, 1_000);

  // The schedule: every millisecond or so, send everything that is due. setTimeout(1) is the
  // finest timer Node offers; within one tick requests go out in schedule order.
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
      while (sent < due) fire(sent++);
      if (sent >= total) resolve();
      else setTimeout(tick, Math.max(0, Math.min(1, start + sent * intervalMs - performance.now())));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  const sendingEndedAt = performance.now();

  // Let in-flight and queued requests finish, within a bound.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allDone, new Promise<void>((resolve) => (timer = setTimeout(resolve, config.drainTimeoutMs)))]);
  clearTimeout(timer);
  clearInterval(progressTimer);
  const unfinished = total - completed;
  agent.destroy();

  const statusCounts: Record<string, number> = {};
  const okLatencies: number[] = [];
  for (let i = 0; i < total; i++) {
    const code = status[i];
    if (code === 0) continue;
    const key = code === 1 ? 'error' : String(code);
    statusCounts[key] = (statusCounts[key] ?? 0) + 1;
    if (code === 201) okLatencies.push(latency[i]);
  }
  // Achieved rate: 201s over the time from the first scheduled send until the later of the planned
  // end and the last answer (a server that falls behind stretches that time).
  const windowMs = Math.max(config.durationMs, (completed > 0 ? lastCompletion : sendingEndedAt) - start);
  return {
    offeredRate: config.rate,
    plannedSeconds: config.durationMs / 1000,
    sent,
    completed,
    unfinished,
    ok201: ok,
    non2xx: Object.entries(statusCounts)
      .filter(([code]) => code !== 'error' && !code.startsWith('2'))
      .reduce((sum, [, count]) => sum + count, 0),
    errors,
    errorKinds,
    statusCounts,
    achievedRate: ok / (windowMs / 1000),
    sendLagMs: sendingEndedAt - (start + (total - 1) * intervalMs),
    windowSeconds: windowMs / 1000,
    startedAtEpochMs: epochOf(start),
    okLatenciesMs: okLatencies,
    ids,
    okAtEpochMs: okAt,
  };
}

process.on('message', (message: LoadMessage) => {
  if (message.type !== 'run') return;
  run(message.config).then(
    (result) => {
      const reply: LoadMessage = { type: 'result', result };
      process.send?.(reply, undefined, undefined, () => process.exit(0));
    },
    (error: unknown) => {
      const reply: LoadMessage = { type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
      process.send?.(reply, undefined, undefined, () => process.exit(1));
    },
  );
});
