import { LoggerService } from '@nestjs/common';
import { backoffDelayMs, countsAsAttempt, FailurePolicy, isRetriable } from './failure-policy';

/** Why the retry stage gave up on an event, as the dead letter records it. */
export interface GivenUp {
  /** The error's class name (`Error`, `NonRetriableError`), or the type of a thrown non-error. */
  errorClass: string;
  reason: string;
  /** Every try, outages included. */
  attempts: number;
  firstFailureAt: Date;
}

/** How trying one event in place ended. */
export type RetryResult<T> =
  | { outcome: 'succeeded'; value: T }
  /** Not retriable, or out of attempts: the caller parks the message (the log already says so). */
  | ({ outcome: 'exhausted' } & GivenUp)
  /** The consumer is stopping (shutdown, rebalance): the offset stays uncommitted, the next owner tries again. */
  | { outcome: 'stopped' };

export interface RetryHooks {
  /** Called once per failure that will be retried, before the wait (to count it). */
  onRetry(): void;
  /** Waits before the next try; resolves false if the consumer is stopping meanwhile. */
  wait(delayMs: number): Promise<boolean>;
}

/**
 * The retry stage: tries an event until it succeeds, in place (the partition waits, keeping its
 * order), with the FailurePolicy's exponential backoff. A NonRetriableError gives up at once; other
 * errors count toward `maxAttempts`, except a database outage, which is retried for as long as it
 * lasts (see countsAsAttempt). `attempt` counts every try; only counted ones use up the policy.
 */
export class EventRetrier {
  constructor(
    private readonly policy: FailurePolicy,
    private readonly logger: Pick<LoggerService, 'warn' | 'error'>,
    private readonly random: () => number = Math.random,
  ) {}

  /** `subject` names the event in the log lines (`<pattern> <eventId> at <topic>[<partition>]@<offset>`). */
  async run<T>(subject: string, tryOnce: (attempt: number) => Promise<T>, hooks: RetryHooks): Promise<RetryResult<T>> {
    let firstFailureAt: Date | undefined;
    let counted = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return { outcome: 'succeeded', value: await tryOnce(attempt) };
      } catch (error) {
        firstFailureAt ??= new Date();
        const reason = error instanceof Error ? error.message : String(error);
        const errorClass = error instanceof Error ? error.name : typeof error;
        const outage = !countsAsAttempt(error);
        if (!outage) counted++;
        if (!isRetriable(error) || counted >= this.policy.maxAttempts) {
          this.logger.error(`${subject} failed ${attempt} time(s), parking it: ${reason}`);
          return { outcome: 'exhausted', errorClass, reason, attempts: attempt, firstFailureAt };
        }
        const delay = backoffDelayMs(this.policy, attempt, this.random);
        hooks.onRetry();
        const progress = outage ? `try ${attempt}, database unavailable: not counted toward ${this.policy.maxAttempts} attempts` : `attempt ${counted}/${this.policy.maxAttempts}`;
        this.logger.warn(`${subject} failed (${progress}), retrying in ${delay} ms: ${reason}`);
        if (!(await hooks.wait(delay))) return { outcome: 'stopped' };
      }
    }
  }
}
