export interface HttpResponse<T = unknown> {
  status: number;
  /** The parsed JSON body; undefined when the body is empty or not JSON. */
  body: T;
  text: string;
  headers: Headers;
}

export interface HttpRequestOptions {
  /** Sent as JSON (with content-type: application/json). */
  json?: unknown;
  /** Sent as is, with content-type: application/json unless `headers` says otherwise. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Default 10 s: no request may hang a test until Jest's own timeout. */
  timeoutMs?: number;
  /** Send no Authorization header, not even the stack's default token. */
  anonymous?: boolean;
}

let defaultToken: string | undefined;

/**
 * Requests to an app on this machine (127.0.0.1, localhost: the stacks' apps, extra instances
 * included) carry `token` unless they set their own Authorization header or are `anonymous`, so
 * the suites written before authentication keep asserting what they asserted, as an operator. Set
 * by startStack to its admin token (one stack per test file runs at a time).
 */
export function useBearerToken(token: string): void {
  defaultToken = token;
}

function defaultTokenFor(url: string): string | undefined {
  const { hostname } = new URL(url);
  return hostname === '127.0.0.1' || hostname === 'localhost' ? defaultToken : undefined;
}

function authorizationOf(url: string, options: HttpRequestOptions): Record<string, string> {
  if (options.anonymous || Object.keys(options.headers ?? {}).some((name) => name.toLowerCase() === 'authorization')) return {};
  const token = defaultTokenFor(url);
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** One HTTP exchange with an app; never throws on an error status, only on a transport failure. */
export async function http<T = unknown>(method: string, url: string, options: HttpRequestOptions = {}): Promise<HttpResponse<T>> {
  const hasBody = options.json !== undefined || options.rawBody !== undefined;
  const response = await fetch(url, {
    method,
    headers: { accept: 'application/json', ...(hasBody ? { 'content-type': 'application/json' } : {}), ...authorizationOf(url, options), ...options.headers },
    body: options.rawBody ?? (options.json !== undefined ? JSON.stringify(options.json) : undefined),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  let body: unknown;
  if (text !== '' && (response.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  return { status: response.status, body: body as T, text, headers: response.headers };
}

export const getJson = <T = unknown>(url: string, options?: HttpRequestOptions) => http<T>('GET', url, options);
export const postJson = <T = unknown>(url: string, json: unknown, options?: HttpRequestOptions) => http<T>('POST', url, { ...options, json });
export const putJson = <T = unknown>(url: string, json: unknown, options?: HttpRequestOptions) => http<T>('PUT', url, { ...options, json });

/** Runs `task` over `items` with at most `limit` running at once; results keep the input order. */
export async function mapWithConcurrency<I, O>(items: readonly I[], limit: number, task: (item: I, index: number) => Promise<O>): Promise<O[]> {
  const results = new Array<O>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
