/**
 * The load is spread over this many customers, each placing its own orders with its own token (as
 * a shop's clients would; on the insecure stack, its own X-Relay-Subject): the services identify
 * the caller of every request, and each customer stays far
 * under the per-client rate limit (at 5000 orders/s, 5/s each against 6000/min), so the bench
 * measures the limit's bookkeeping, never its refusals.
 */
export const BENCH_CUSTOMERS = 1_000;

export const benchCustomerId = (i: number): string => `bench-c-${i % BENCH_CUSTOMERS}`;

/** Messages between the bench and its load-generator process. */
export interface LoadConfig {
  /** Base URL of the orders service, e.g. http://127.0.0.1:3000 */
  url: string;
  path: string;
  /** Requests per second, sent on a fixed schedule. */
  rate: number;
  durationMs: number;
  /** Connections the generator may open; requests beyond them wait (and that wait is latency). */
  maxSockets: number;
  /** SKUs the orders cycle through (the bench gives them stock). */
  skus: string[];
  /** Record each created order's id and the time its 201 arrived (for end-to-end latency). */
  recordIds: boolean;
  requestTimeoutMs: number;
  /** After the last scheduled send: how long to wait for outstanding answers. */
  drainTimeoutMs: number;
  /** Who request i is: customer benchCustomerId(i), as credentials.values[i % values.length]. */
  credentials: LoadCredentials;
}

/**
 * One header per request, its value cycling through `values`: `authorization: Bearer <token>` on
 * the secured stack, `x-relay-subject: <customer id>` on the insecure one. The generator does not
 * know which: both cost it the same, so only the services' side differs.
 */
export interface LoadCredentials {
  header: string;
  values: string[];
}

export interface LoadResult {
  offeredRate: number;
  plannedSeconds: number;
  sent: number;
  completed: number;
  /** Requests still unanswered when the generator stopped waiting. */
  unfinished: number;
  ok201: number;
  /** Answers with a status other than 2xx. */
  non2xx: number;
  /** Transport errors (refused, reset, timeout). */
  errors: number;
  errorKinds: Record<string, number>;
  statusCounts: Record<string, number>;
  /** 201s per second over the run (stretched when the server fell behind). */
  achievedRate: number;
  /** How late the generator sent its last request (> a few ms: the generator itself was starved). */
  sendLagMs: number;
  windowSeconds: number;
  startedAtEpochMs: number;
  /** Latency of every 201, from its scheduled send time to the end of the response. */
  okLatenciesMs: number[];
  ids: string[];
  /** Wall-clock time (epoch ms, sub-ms precision) at which each recorded 201 arrived. */
  okAtEpochMs: number[];
}

export type LoadMessage =
  | { type: 'run'; config: LoadConfig }
  | { type: 'progress'; sent: number; completed: number; ok: number; errors: number }
  | { type: 'result'; result: LoadResult }
  | { type: 'failed'; message: string };
