import { spawn } from 'node:child_process';
import path from 'node:path';
import { isProcessAlive, waitFor } from './process-utils';

jest.setTimeout(30_000);

/**
 * A terminal's Ctrl-C signals its whole foreground process group. `npm start` relies on the broker
 * being outside that group (ownProcessGroup), so that the services, which do get the SIGINT, can
 * still leave their consumer groups before the stack stops the broker.
 *
 * The "stack" here is a real Node process in a group of its own (as a terminal's foreground job
 * is), starting one child of each kind through spawnManaged; the test then signals that group as a
 * terminal would.
 */
const STACK_SCRIPT = `
const { spawnManaged } = require(${JSON.stringify(path.join(__dirname, 'process-utils.ts'))});
const idle = ['-e', 'setInterval(() => undefined, 1000)'];
(async () => {
  const service = await spawnManaged({ command: process.execPath, args: idle });
  const broker = await spawnManaged({ command: process.execPath, args: idle, ownProcessGroup: true });
  // The stack handles SIGINT itself (as start-stack does) and stops only on SIGTERM.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => process.exit(0));
  console.log(JSON.stringify({ service: service.pid, broker: broker.pid }));
})();
`;

describe('a child in its own process group', () => {
  it('is not reached by a Ctrl-C to its parent\'s group, and still stops with its parent', async () => {
    const stack = spawn(process.execPath, ['--import', 'tsx', '-e', STACK_SCRIPT], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    stack.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes('}'), { timeoutMs: 20_000, description: 'the stack to print its children' });
    const pids = JSON.parse(output) as { service: number; broker: number };
    try {
      process.kill(-stack.pid!, 'SIGINT'); // what Ctrl-C does
      await waitFor(() => !isProcessAlive(pids.service), { timeoutMs: 10_000, description: 'the service to stop on Ctrl-C' });
      expect(isProcessAlive(pids.broker)).toBe(true);
      expect(isProcessAlive(stack.pid!)).toBe(true);

      process.kill(stack.pid!, 'SIGTERM');
      await waitFor(() => !isProcessAlive(pids.broker), { timeoutMs: 10_000, description: 'the broker to stop with its parent' });
    } finally {
      for (const pid of [stack.pid!, pids.service, pids.broker]) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
