import { round, sleep } from '../stats';

/**
 * Counts what a baseline consumer has finished with, from the start of its topic: `finished`
 * resolves once `target` messages are done; the rate runs from the first message to the last (the
 * group join is reported apart).
 */
export class ConsumeTally {
  private readonly started = Date.now();
  private first = 0;
  private last = 0;
  private taken = 0;
  private count = 0;
  private settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private readonly finished = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));

  constructor(
    readonly target: number,
    private readonly what: string,
  ) {}

  /** The part of a fetched batch still needed to reach the target; the first one starts the clock. */
  take<T>(messages: T[]): T[] {
    const run = messages.slice(0, Math.max(0, this.target - this.taken));
    this.taken += run.length;
    if (run.length > 0 && this.first === 0) this.first = Date.now();
    return run;
  }

  done(messages: number): void {
    this.count += messages;
    if (this.count >= this.target && this.last === 0) {
      this.last = Date.now();
      this.settle!.resolve();
    }
  }

  failed(error: Error): void {
    this.settle!.reject(error);
  }

  /** Waits for the target, at most 10 minutes. */
  async wait(): Promise<void> {
    const timeout = sleep(600_000).then(() => {
      throw new Error(`${this.what}: ${this.count} of ${this.target} messages in 10 minutes`);
    });
    await Promise.race([this.finished, timeout]);
  }

  get messagesPerSecond(): number {
    return round(this.target / Math.max(0.001, (this.last - this.first) / 1000), 1);
  }

  get joinSeconds(): number {
    return round((this.first - this.started) / 1000, 2);
  }
}
