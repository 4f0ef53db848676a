export interface WaitForOptions {
  /** Deadline, from the first probe. */
  timeoutMs: number;
  /** Said in the error when the deadline passes: "timed out after N ms waiting for <description>". */
  description: string;
  /** Delay between probes; default 100 ms. */
  intervalMs?: number;
}

function describeValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

/**
 * Polls `probe` until it returns something other than undefined/false, and returns that. Tests wait
 * on conditions with a deadline, never on fixed sleeps. A probe that throws is retried (a restarting
 * app refuses connections for a while); the timeout error quotes the last value seen or error thrown,
 * so a failure says where things got stuck.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, options: WaitForOptions): Promise<T> {
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + options.timeoutMs;
  let last: { kind: 'value' | 'error'; value: unknown } | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = { kind: 'value', value };
    } catch (error) {
      last = { kind: 'error', value: error };
    }
    if (Date.now() + intervalMs > deadline) {
      const seen = last === undefined ? '' : ` (last ${last.kind === 'error' ? 'error' : 'result'}: ${describeValue(last.value)})`;
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.description}${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
