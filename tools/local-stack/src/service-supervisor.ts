import { describeExit, ProcessExit } from './process-utils';

/** A running service instance as the supervisor sees it. */
export interface SupervisedProcess {
  /** Resolves once the process has exited, whatever the reason. */
  readonly exited: Promise<ProcessExit>;
  /** Graceful stop (SIGTERM, then SIGKILL after the launcher's timeout). */
  stop(): Promise<void>;
}

export interface RestartPolicy {
  /** Delay before the first restart; each restart in a row doubles it. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A process that stayed up this long before it exited starts the doubling over. */
  resetAfterMs: number;
}

/** 1 s, 2 s, 4 s … 30 s; a process that ran for a minute gets 1 s again. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000, resetAfterMs: 60_000 };

/** The delay before restart number `restartsInARow` (1 for the first after a healthy run). */
export function restartDelayMs(policy: RestartPolicy, restartsInARow: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, restartsInARow - 1));
}

export interface SupervisorOptions<P extends SupervisedProcess> {
  /** Names the instance in messages, e.g. `inventory#2`. */
  name: string;
  /** Starts one process of the instance; resolves once it is listening. */
  start(): Promise<P>;
  policy?: RestartPolicy;
  /** Messages for the operator (`inventory exited (signal SIGKILL); restarting in 1 s`). */
  say(message: string): void;
  /** Called with each new process after a restart (e.g. to wait for it to be ready again). */
  onRestarted?(process: P): void;
  /** False: an unexpected exit is reported to onGaveUp and the instance stays down. Default true. */
  restart?: boolean;
  onGaveUp?(exit: ProcessExit): void;
  /** Monotonic clock and timer, for tests. */
  now?: () => number;
}

/**
 * Keeps one service instance running, as a deployment would: when its process exits without
 * being asked to, it is started again after a back-off that doubles with each failure in a row
 * (so a service that cannot start does not spin), and the rest of the stack is left alone.
 */
export class ServiceSupervisor<P extends SupervisedProcess = SupervisedProcess> {
  private current: P | undefined;
  private stopping = false;
  private restartsInARow = 0;
  private wakeFromDelay: (() => void) | undefined;
  private readonly policy: RestartPolicy;
  private readonly now: () => number;
  private watching: Promise<void> | undefined;
  /** How many times the instance was started again; for tests and the operator. */
  restarts = 0;

  constructor(private readonly options: SupervisorOptions<P>) {
    this.policy = options.policy ?? DEFAULT_RESTART_POLICY;
    this.now = options.now ?? Date.now;
  }

  /** Starts the first process (rejects if it cannot start) and supervises it from then on. */
  async start(): Promise<P> {
    const first = await this.options.start();
    this.current = first;
    this.watching = this.watch(first, this.now());
    return first;
  }

  /** The process running now, if any (none while waiting to restart). */
  get process(): P | undefined {
    return this.current;
  }

  /** Stops supervising and stops the process; a pending restart is cancelled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeFromDelay?.();
    await this.current?.stop();
    await this.watching;
  }

  private async watch(process: P, startedAt: number): Promise<void> {
    let running: P | undefined = process;
    let since = startedAt;
    while (running !== undefined) {
      const exit = await running.exited;
      this.current = undefined;
      if (this.stopping) return;
      if (this.options.restart === false) {
        this.options.onGaveUp?.(exit);
        return;
      }
      this.restartsInARow = this.now() - since >= this.policy.resetAfterMs ? 1 : this.restartsInARow + 1;
      running = await this.restart(exit);
      since = this.now();
    }
  }

  /** Starts the instance again after its back-off, retrying a start that fails; undefined once stopping. */
  private async restart(exit: ProcessExit): Promise<P | undefined> {
    let reason = describeExit(exit);
    for (;;) {
      const delay = restartDelayMs(this.policy, this.restartsInARow);
      this.options.say(`${this.options.name} exited (${reason}); restarting in ${delay / 1000} s`);
      await this.delay(delay);
      if (this.stopping) return undefined;
      try {
        const started = await this.options.start();
        if (this.stopping) {
          await started.stop();
          return undefined;
        }
        this.current = started;
        this.restarts++;
        this.options.say(`${this.options.name} restarted (restart ${this.restarts})`);
        this.options.onRestarted?.(started);
        return started;
      } catch (error) {
        reason = `could not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
        this.restartsInARow++;
      }
    }
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeFromDelay = finish;
    });
  }
}
