export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Said in the error when the deadline passes. */
  description: string;
}

/**
 * Polls until `probe` returns a value that is not undefined/false, and returns it. Tests wait on
 * conditions with deadlines, never on fixed sleeps. The last probe error (if any) is reported.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, options: WaitForOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${options.timeoutMs ?? 20_000} ms waiting for ${options.description}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}
