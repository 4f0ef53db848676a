import { isDatabaseUnavailable } from '@relay/service-runtime';

/**
 * How a consumer treats a handler that throws.
 * - Transient failures (database down, timeouts) are retried in place with exponential backoff
 *   and jitter. The offset is not committed meanwhile, so the partition keeps its order.
 * - After `maxAttempts`, or at once for a NonRetriableError, the message is parked on the group's
 *   dead-letter topic and the partition moves on: one bad message never blocks it forever.
 * - A database outage is nobody's message's fault: those tries do not count toward `maxAttempts`,
 *   so the consumer waits out an outage of any length (every message needs the database anyway)
 *   instead of parking message after message while it lasts.
 */
export interface FailurePolicy {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

// About 40 s of retries in all: long enough to ride out a database restart, short enough that a
// message that keeps failing is parked within a minute.
export const defaultFailurePolicy: FailurePolicy = { maxAttempts: 10, initialBackoffMs: 200, maxBackoffMs: 10_000 };

/** Throw this from a handler when retrying cannot help (the event contradicts the domain). */
export class NonRetriableError extends Error {
  override readonly name = 'NonRetriableError';
}

/** Delay before attempt `attempt + 1` (attempt counts from 1): full jitter over an exponential cap. */
export function backoffDelayMs(policy: FailurePolicy, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (attempt - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export function isRetriable(error: unknown): boolean {
  return !(error instanceof NonRetriableError);
}

/** False for a failure that says nothing about the message: the database could not be reached. */
export function countsAsAttempt(error: unknown): boolean {
  return !isDatabaseUnavailable(error);
}
