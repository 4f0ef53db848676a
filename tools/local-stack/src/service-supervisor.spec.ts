import { ProcessExit } from './process-utils';
import { restartDelayMs, ServiceSupervisor, SupervisedProcess } from './service-supervisor';

/** A process whose end the test decides. */
class FakeProcess implements SupervisedProcess {
  private end!: (exit: ProcessExit) => void;
  readonly exited = new Promise<ProcessExit>((resolve) => (this.end = resolve));
  stopped = false;
  crash(exit: ProcessExit = { code: null, signal: 'SIGKILL' }): void {
    this.end(exit);
  }
  async stop(): Promise<void> {
    this.stopped = true;
    this.end({ code: 0, signal: null });
  }
}

async function until(condition: () => boolean, description: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const fastPolicy = { initialDelayMs: 10, maxDelayMs: 40, resetAfterMs: 60_000 };

describe('restartDelayMs', () => {
  it('doubles from the initial delay with each restart in a row, up to the cap', () => {
    const policy = { initialDelayMs: 1_000, maxDelayMs: 30_000, resetAfterMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 12].map((n) => restartDelayMs(policy, n))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
});

describe('ServiceSupervisor', () => {
  it('starts the instance again when its process dies, says so, and hands over the new process', async () => {
    const processes: FakeProcess[] = [];
    const said: string[] = [];
    const restarted: SupervisedProcess[] = [];
    const supervisor = new ServiceSupervisor({
      name: 'inventory',
      policy: fastPolicy,
      start: async () => {
        processes.push(new FakeProcess());
        return processes.at(-1)!;
      },
      say: (message) => said.push(message),
      onRestarted: (process) => restarted.push(process),
    });
    await supervisor.start();
    processes[0].crash();
    await until(() => supervisor.restarts === 1, 'the restart');
    expect(said).toEqual(['inventory exited (signal SIGKILL); restarting in 0.01 s', 'inventory restarted (restart 1)']);
    expect(supervisor.process).toBe(processes[1]);
    expect(restarted).toEqual([processes[1]]);
    await supervisor.stop();
    expect(processes[1].stopped).toBe(true);
  });

  it('backs off longer with each failure in a row, including starts that fail, and starts over after a long healthy run', async () => {
    let clock = 0;
    let failStarts = 0;
    const processes: FakeProcess[] = [];
    const said: string[] = [];
    const supervisor = new ServiceSupervisor({
      name: 'delivery',
      policy: { initialDelayMs: 1, maxDelayMs: 8, resetAfterMs: 1_000 },
      now: () => clock,
      start: async () => {
        if (failStarts > 0) {
          failStarts--;
          throw new Error('port 3002 in use\nstack…');
        }
        processes.push(new FakeProcess());
        return processes.at(-1)!;
      },
      say: (message) => said.push(message),
    });
    await supervisor.start();
    processes[0].crash({ code: 1, signal: null });
    await until(() => supervisor.restarts === 1, 'the first restart');
    failStarts = 2;
    processes[1].crash({ code: 1, signal: null });
    await until(() => supervisor.restarts === 2, 'the second restart');
    clock += 5_000; // the third process runs long enough to count as healthy
    processes[2].crash();
    await until(() => supervisor.restarts === 3, 'the third restart');
    expect(said.filter((line) => line.includes('restarting in'))).toEqual([
      'delivery exited (exit code 1); restarting in 0.001 s',
      'delivery exited (exit code 1); restarting in 0.002 s',
      'delivery exited (could not start: port 3002 in use); restarting in 0.004 s',
      'delivery exited (could not start: port 3002 in use); restarting in 0.008 s',
      'delivery exited (signal SIGKILL); restarting in 0.001 s',
    ]);
    await supervisor.stop();
  });

  it('does not restart a process it was asked to stop, and cancels a pending restart', async () => {
    const processes: FakeProcess[] = [];
    const supervisor = new ServiceSupervisor({
      name: 'orders',
      policy: { initialDelayMs: 60_000, maxDelayMs: 60_000, resetAfterMs: 60_000 },
      start: async () => {
        processes.push(new FakeProcess());
        return processes.at(-1)!;
      },
      say: () => undefined,
    });
    await supervisor.start();
    processes[0].crash();
    await until(() => supervisor.process === undefined, 'the supervisor to see the exit');
    // Within the test's 5 s, not after the 60 s back-off: the pending restart is cancelled.
    await supervisor.stop();
    expect(processes).toHaveLength(1);
    expect(supervisor.restarts).toBe(0);
  });

  it('with restarts off, reports the exit and leaves the instance down', async () => {
    const processes: FakeProcess[] = [];
    const gaveUp: ProcessExit[] = [];
    const supervisor = new ServiceSupervisor({
      name: 'inventory',
      policy: fastPolicy,
      restart: false,
      start: async () => {
        processes.push(new FakeProcess());
        return processes.at(-1)!;
      },
      say: () => undefined,
      onGaveUp: (exit) => gaveUp.push(exit),
    });
    await supervisor.start();
    processes[0].crash({ code: 3, signal: null });
    await until(() => gaveUp.length === 1, 'the exit to be reported');
    expect(gaveUp).toEqual([{ code: 3, signal: null }]);
    expect(supervisor.process).toBeUndefined();
    await supervisor.stop();
    expect(processes).toHaveLength(1);
  });
});
