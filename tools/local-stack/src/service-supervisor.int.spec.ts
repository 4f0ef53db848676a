import { spawnManaged, waitFor } from './process-utils';
import { ServiceSupervisor } from './service-supervisor';

jest.setTimeout(30_000);

/** A real OS process that says it is listening and then runs until it is signalled. */
async function startServer() {
  const child = await spawnManaged({ command: process.execPath, args: ['-e', "console.log('listening'); setInterval(() => undefined, 1000)"] });
  await child.waitForLine('listening', { timeoutMs: 10_000 });
  return { pid: child.pid, exited: child.exited, stop: async () => void (await child.stop({ timeoutMs: 5_000 })) };
}

describe('ServiceSupervisor with real processes', () => {
  it('restarts a process killed with SIGKILL, as a new process, and stops it on request', async () => {
    const said: string[] = [];
    const supervisor = new ServiceSupervisor({ name: 'inventory', start: startServer, policy: { initialDelayMs: 100, maxDelayMs: 1_000, resetAfterMs: 60_000 }, say: (m) => said.push(m) });
    const first = await supervisor.start();
    process.kill(first.pid, 'SIGKILL');
    await waitFor(() => supervisor.restarts === 1, { timeoutMs: 10_000, description: 'the killed process to be restarted' });
    const second = supervisor.process!;
    expect(second.pid).not.toBe(first.pid);
    expect(() => process.kill(second.pid, 0)).not.toThrow();
    expect(said[0]).toBe('inventory exited (signal SIGKILL); restarting in 0.1 s');
    await supervisor.stop();
    expect(await second.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(supervisor.restarts).toBe(1);
  });
});
