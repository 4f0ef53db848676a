import { spawn, type ChildProcess } from 'node:child_process';
import type { ProcessExit } from './process-utils';

/*
 * Signalling a postgres process: a stop that escalates (fast, then immediate shutdown, then SIGKILL),
 * and a watchdog that stops the server when its parent dies without running 'exit' handlers.
 */

/** How long a fast shutdown (SIGINT) may take before an immediate one (SIGQUIT). */
const STOP_TIMEOUT_MS = 30_000;

/** Each signal, and how long to wait for the process to go before the next one. */
export const STOP_STEPS: ReadonlyArray<readonly [NodeJS.Signals, number]> = [
  ['SIGINT', STOP_TIMEOUT_MS],
  ['SIGQUIT', 5_000],
  ['SIGKILL', 5_000],
];

/**
 * Stops the server when the parent dies without running 'exit' handlers (SIGKILL, default action of
 * an unhandled SIGINT/SIGTERM). A shell loop costs ~1 MB and needs no signal handlers in the parent,
 * so the parent's own signal handling stays exactly as it was.
 */
export function startWatchdog(server: ChildProcess): ChildProcess | undefined {
  if (process.platform === 'win32' || server.pid === undefined) return undefined;
  // A zombie still answers `kill -0`; on Linux its /proc stat says Z (matters when nobody reaps it).
  const script = [
    'alive() { kill -0 "$1" 2>/dev/null || return 1; case "$(cat /proc/$1/stat 2>/dev/null)" in *") Z "*) return 1;; esac; }',
    'while alive "$1" && alive "$2"; do sleep 1; done',
    'alive "$1" || kill -INT "$2" 2>/dev/null',
  ].join('\n');
  try {
    const watchdog = spawn('/bin/sh', ['-c', script, 'postgres-watchdog', String(process.pid), String(server.pid)], {
      detached: true,
      stdio: 'ignore',
    });
    watchdog.once('error', () => undefined);
    watchdog.unref();
    return watchdog;
  } catch {
    return undefined;
  }
}

/** Stops `child` with STOP_STEPS; resolves once it has exited (or the last step's wait ran out). */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = waitForExit(child);
  for (const [signal, timeoutMs] of STOP_STEPS) {
    killQuietly(child.pid, signal);
    if (await settlesWithin(exited, timeoutMs)) return;
  }
}

/** Unlike racing a plain sleep, leaves no timer behind to keep the parent's event loop alive. */
function settlesWithin(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Resolves with how the child ended; an 'error' (it never ran) counts as an exit with neither code nor signal. */
export function waitForExit(child: ChildProcess): Promise<ProcessExit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
}

/** Signals `pid` (or its process group), ignoring a process that is already gone. */
export function killQuietly(pid: number | undefined, signal: NodeJS.Signals, processGroup = false): void {
  if (pid === undefined) return;
  try {
    process.kill(processGroup ? -pid : pid, signal);
  } catch {
    // Already gone.
  }
}

export function childEnv(): NodeJS.ProcessEnv {
  // English messages, whatever the user's locale, so log tails in errors are searchable.
  return { ...process.env, LC_MESSAGES: 'C' };
}
