export interface WaitForOptions {
  /** Deadline, from the first probe; default 20 000 ms. */
  timeoutMs?: number;
  /** Said in the error when the deadline passes: "timed out after N ms waiting for <description>". */
  description: string;
  /** Delay between probes; default 100 ms. */
  intervalMs?: number;
}

/** A deadline passed. `tail` holds the last output lines of the process involved, if any. */
export class WaitTimeoutError extends Error {
  constructor(
    message: string,
    readonly tail: readonly string[] = [],
  ) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_INTERVAL_MS = 100;

function describeValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

/**
 * Polls `probe` until it returns something other than undefined/false, and returns that. Tests and
 * tools wait on conditions with a deadline, never on fixed sleeps. A probe that throws is retried (a
 * restarting app refuses connections for a while); to give up early, return a value that says so and
 * throw after the wait. When the deadline passes it rejects with WaitTimeoutError, quoting the last
 * value seen or error thrown, so a failure says where things got stuck.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, options: WaitForOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const deadline = Date.now() + timeoutMs;
  let last: { kind: 'value' | 'error'; value: unknown } | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = { kind: 'value', value };
    } catch (error) {
      last = { kind: 'error', value: error };
    }
    // Give up before a sleep that would end past the deadline, not after it.
    if (Date.now() + intervalMs > deadline) {
      const seen = last.kind === 'error' ? `last error: ${describeValue(last.value)}` : `last result: ${describeValue(last.value)}`;
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${options.description} (${seen})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
