import { fork } from 'node:child_process';
import path from 'node:path';
import { benchAuth } from './bench-auth';
import type { LoadConfig, LoadMessage, LoadResult } from './load-protocol';

export interface LoadProgress {
  sent: number;
  completed: number;
  ok: number;
  errors: number;
}

/**
 * Runs one open-loop load in a separate Node process (so the generator's CPU is not the bench's, and
 * the bench's polling does not delay the schedule), and returns its result.
 */
export function runLoad(config: Omit<LoadConfig, 'credentials'>, onProgress?: (progress: LoadProgress) => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    // Forked with this process's execArgv: under tsx that includes its loader, so the .ts file runs.
    const child = fork(path.join(__dirname, 'load-generator.process.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
    };
    child.on('message', (message: LoadMessage) => {
      if (message.type === 'progress') onProgress?.(message);
      else if (message.type === 'result') settle(() => resolve(message.result));
      else if (message.type === 'failed') settle(() => reject(new Error(`load generator failed: ${message.message}`)));
    });
    child.once('error', (error) => settle(() => reject(error)));
    child.once('close', (code, signal) => settle(() => reject(new Error(`load generator exited (${code ?? signal}) without a result`))));
    // The running stack's customer credentials (BenchStack made them); the peer ignores them.
    const start: LoadMessage = { type: 'run', config: { ...config, credentials: benchAuth().customers } };
    child.send(start);
  });
}
