import { OrderBody, OrderLine } from '../../support/api';
import { http } from '../../support/http';
import { waitFor } from '@relay/testing';

/**
 * A client that places orders at a fixed rate while a fault is injected and healed, and keeps an
 * exact ledger of what it was promised: every request has its own Idempotency-Key, and a request
 * whose outcome is unknown (a 503, a 5xx, a refused or reset connection, a timeout) is retried with
 * the same key and body until it gets a definitive answer. So an order is counted as placed only
 * once it got a 201, and a retry can never place it twice (a retry of a request that did commit
 * answers 201 with `Idempotent-Replayed: true`, and is counted as such).
 */

export interface LoaderOptions {
  /** Base URL of the orders service (read on every request: a restarted app keeps its port). */
  ordersUrl: string;
  /** New orders started per second (retries come on top). */
  ratePerSecond: number;
  /** Every order of this loader has this customerId, so GET /orders?customerId= lists exactly them. */
  customerId: string;
  /** The customer's bearer token: the loader places orders as the customer itself. */
  token: () => Promise<string>;
  /** Unique per loader; keys are `<keyPrefix>-<n>`. */
  keyPrefix: string;
  /** The lines of the n-th order (n from 0). */
  items: (n: number) => OrderLine[];
  /**
   * Requests in flight at most (new and retries alike), like a client's connection pool; default
   * 16. Beyond it requests queue in the client, so a slow or recovering service is not flooded.
   */
  maxInFlight?: number;
  /** Per request; default 10 s. */
  requestTimeoutMs?: number;
}

/** What happened to one attempt of one request. */
export type AttemptOutcome = { kind: 'status'; status: number; code?: string; replayed: boolean; at: number } | { kind: 'transport'; error: string; at: number };

export interface LoaderRequest {
  key: string;
  items: OrderLine[];
  createdAt: number;
  attempts: AttemptOutcome[];
  state: 'pending' | 'placed' | 'refused';
  orderId?: string;
  /** When the first 201 arrived. */
  placedAt?: number;
}

export interface LoaderSummary {
  started: number;
  placed: number;
  refused: number;
  pending: number;
  attempts: number;
  /** HTTP status → number of attempts that got it. */
  statuses: Record<string, number>;
  /** Error codes of 503 bodies → count. */
  codes503: Record<string, number>;
  transportErrors: number;
  /** 201s answered with `Idempotent-Replayed: true`: the request had committed on an earlier attempt. */
  replayed: number;
  /** Placed orders whose earlier attempt got a 503 and whose retry was a replay (the 503 had in fact saved it). */
  replayedAfter503: number;
  /** Placed orders whose earlier attempt failed in transport and whose retry was a replay (committed, answer lost). */
  replayedAfterTransportError: number;
  /** A retry answered a different order id than an earlier 201 for the same key (must never happen). */
  idMismatches: number;
}

export class OrderLoader {
  private readonly requests: LoaderRequest[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Requests due to be sent (new ones and retries whose backoff is over), oldest first. */
  private readonly queue: LoaderRequest[] = [];
  private inFlight = 0;
  private running = false;
  private aborted = false;
  private startedAt = 0;
  private ticker: NodeJS.Timeout | undefined;
  private idMismatches = 0;
  private readonly unexpected: string[] = [];

  constructor(private readonly options: LoaderOptions) {}

  /** Starts placing orders at the configured rate. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = Date.now();
    const base = this.requests.length;
    // A fixed average arrival rate whatever the timer jitter: create as many as are due by now.
    this.ticker = setInterval(() => {
      const due = base + Math.floor(((Date.now() - this.startedAt) / 1_000) * this.options.ratePerSecond);
      while (this.running && this.requests.length < due) this.createNew();
      this.dispatch();
    }, 20);
  }

  /** Stops creating new orders; requests already created keep retrying until settled or `abort`. */
  stopNew(): void {
    this.running = false;
  }

  /** Stops starting new orders and waits until every started request has a definitive answer. */
  async drain(timeoutMs: number): Promise<void> {
    this.stopNew();
    await waitFor(() => this.inFlight === 0 && this.requests.every((request) => request.state !== 'pending'), {
      timeoutMs,
      intervalMs: 100,
      description: `the loader's ${this.requests.filter((request) => request.state === 'pending').length} unsettled request(s) to get a definitive answer (last outcomes: ${JSON.stringify(
        this.requests
          .filter((request) => request.state === 'pending')
          .slice(0, 3)
          .map((request) => request.attempts.slice(-1)),
      )})`,
    });
  }

  /** Gives up on everything (afterAll / failure path): no more retries. */
  abort(): void {
    this.aborted = true;
    this.stopNew();
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.queue.length = 0;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  get all(): readonly LoaderRequest[] {
    return this.requests;
  }

  placed(): LoaderRequest[] {
    return this.requests.filter((request) => request.state === 'placed');
  }

  placedSince(at: number): number {
    return this.requests.filter((request) => request.placedAt !== undefined && request.placedAt >= at).length;
  }

  /** Attempts answered with `status` since `at` (e.g. 503s during an outage). */
  statusSince(status: number, at = 0): number {
    return this.requests.reduce((sum, request) => sum + request.attempts.filter((attempt) => attempt.kind === 'status' && attempt.status === status && attempt.at >= at).length, 0);
  }

  /** Attempts answered with anything but 201 since `at` (transport errors included). */
  non201Since(at = 0): number {
    return this.requests.reduce((sum, request) => sum + request.attempts.filter((attempt) => attempt.at >= at && !(attempt.kind === 'status' && attempt.status === 201)).length, 0);
  }

  /** Unexpected answers (4xx other than the ones a retry can produce), for the failure message. */
  unexpectedAnswers(): readonly string[] {
    return this.unexpected;
  }

  summary(): LoaderSummary {
    const statuses: Record<string, number> = {};
    const codes503: Record<string, number> = {};
    let attempts = 0;
    let transportErrors = 0;
    let replayed = 0;
    let replayedAfter503 = 0;
    let replayedAfterTransportError = 0;
    for (const request of this.requests) {
      for (const attempt of request.attempts) {
        attempts++;
        if (attempt.kind === 'transport') {
          transportErrors++;
          continue;
        }
        statuses[attempt.status] = (statuses[attempt.status] ?? 0) + 1;
        if (attempt.status === 503) codes503[attempt.code ?? '(none)'] = (codes503[attempt.code ?? '(none)'] ?? 0) + 1;
      }
      const firstOk = request.attempts.findIndex((attempt) => attempt.kind === 'status' && attempt.status === 201);
      const ok = request.attempts[firstOk];
      if (ok?.kind === 'status' && ok.replayed) {
        replayed++;
        const before = request.attempts.slice(0, firstOk);
        if (before.some((attempt) => attempt.kind === 'status' && attempt.status === 503)) replayedAfter503++;
        if (before.some((attempt) => attempt.kind === 'transport')) replayedAfterTransportError++;
      }
    }
    return {
      started: this.requests.length,
      placed: this.requests.filter((request) => request.state === 'placed').length,
      refused: this.requests.filter((request) => request.state === 'refused').length,
      pending: this.requests.filter((request) => request.state === 'pending').length,
      attempts,
      statuses,
      codes503,
      transportErrors,
      replayed,
      replayedAfter503,
      replayedAfterTransportError,
      idMismatches: this.idMismatches,
    };
  }

  private createNew(): void {
    const n = this.requests.length;
    const request: LoaderRequest = { key: `${this.options.keyPrefix}-${n}`, items: this.options.items(n), createdAt: Date.now(), attempts: [], state: 'pending' };
    this.requests.push(request);
    this.queue.push(request);
  }

  private tokenPromise: Promise<string> | undefined;

  /** Minted once per loader (a failed mint is retried on the next request). */
  private token(): Promise<string> {
    this.tokenPromise ??= this.options.token().catch((error: unknown) => {
      this.tokenPromise = undefined;
      throw error;
    });
    return this.tokenPromise;
  }

  private dispatch(): void {
    while (!this.aborted && this.queue.length > 0 && this.inFlight < (this.options.maxInFlight ?? 16)) void this.send(this.queue.shift()!);
  }

  private async send(request: LoaderRequest): Promise<void> {
    this.inFlight++;
    let outcome: AttemptOutcome;
    let body: (OrderBody & { code?: string }) | undefined;
    let retryAfterSeconds: string | null = null;
    try {
      const response = await http<OrderBody & { code?: string }>('POST', `${this.options.ordersUrl}/orders`, {
        json: { customerId: this.options.customerId, items: request.items },
        headers: { 'idempotency-key': request.key, authorization: `Bearer ${await this.token()}` },
        timeoutMs: this.options.requestTimeoutMs ?? 10_000,
      });
      body = response.body;
      retryAfterSeconds = response.headers.get('retry-after');
      outcome = { kind: 'status', status: response.status, code: body?.code, replayed: response.headers.get('idempotent-replayed') === 'true', at: Date.now() };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      outcome = { kind: 'transport', error: cause?.code ?? (error as Error).name ?? String(error), at: Date.now() };
    } finally {
      this.inFlight--;
    }
    this.dispatch();
    request.attempts.push(outcome);
    if (outcome.kind === 'status' && outcome.status === 201) {
      if (request.orderId !== undefined && request.orderId !== body?.id) this.idMismatches++;
      request.orderId ??= body?.id;
      request.placedAt ??= outcome.at;
      request.state = 'placed';
      return;
    }
    if (outcome.kind === 'status' && outcome.status < 500) {
      // A 4xx is definitive: the request is refused (never expected from this loader).
      request.state = 'refused';
      this.unexpected.push(`${request.key}: HTTP ${outcome.status} ${outcome.code ?? ''}`);
      return;
    }
    // Unknown outcome: retry with the same key after a capped exponential backoff (a 503 says
    // when in Retry-After), queued behind the requests already due.
    if (this.aborted) return;
    const retryAfter = outcome.kind === 'status' ? Number(retryAfterSeconds) * 1_000 : NaN;
    const delay = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : Math.min(2_000, 100 * 2 ** Math.min(request.attempts.length, 5));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.queue.push(request);
      this.dispatch();
    }, delay);
    this.timers.add(timer);
  }
}
