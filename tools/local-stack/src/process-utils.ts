import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants as fsConstants, createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
// The one waitFor of tests and tools (libs/util), shared with the rest of the local stack from here.
// By path: Jest's global setups load this file outside its module registry, where path aliases do not
// resolve.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { WaitTimeoutError } from '../../../libs/util/src/wait-for';
import { hasErrorCode } from './postgres-errors';
// eslint-disable-next-line @nx/enforce-module-boundaries
export { waitFor, WaitTimeoutError, type WaitForOptions } from '../../../libs/util/src/wait-for';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(exit: ProcessExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
}

function formatTail(lines: readonly string[]): string {
  return lines.length === 0 ? '(no output)' : lines.join('\n');
}

/** A process ended while something was still waiting on it. `tail` holds its last output lines. */
export class ProcessExitedError extends Error {
  constructor(
    message: string,
    readonly exit: ProcessExit,
    readonly tail: readonly string[],
  ) {
    super(message);
    this.name = 'ProcessExitedError';
  }
}

/** Ring buffer of the last `capacity` lines. */
export class LineTail {
  private readonly buffer: string[] = [];

  constructor(readonly capacity: number) {}

  push(line: string): void {
    this.buffer.push(line);
    if (this.buffer.length > this.capacity) this.buffer.splice(0, this.buffer.length - this.capacity);
  }

  lines(count: number = this.capacity): string[] {
    return this.buffer.slice(-count);
  }
}

/** Calls `onLine` per complete line; returns a flush for the final unterminated line. */
function splitLines(stream: Readable, onLine: (line: string) => void): () => void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      onLine(pending.slice(0, newline).replace(/\r$/, ''));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  });
  return () => {
    if (pending !== '') onLine(pending);
    pending = '';
  };
}

// ---------------------------------------------------------------------------------------------------
// Children must not outlive this Node process: a leaked broker or database keeps its port and data
// directory locked and breaks the next run.

const liveChildren = new Map<ChildProcess, NodeJS.Signals>();
let parentExitHooksInstalled = false;

function signalLiveChildren(): void {
  for (const [child, signal] of liveChildren) {
    try {
      child.kill(signal);
    } catch {
      // Already gone; nothing else can be done from an exit handler.
    }
  }
}

function installParentExitHooks(): void {
  if (parentExitHooksInstalled) return;
  parentExitHooksInstalled = true;
  // 'exit' covers process.exit() and a drained event loop, but not death by signal.
  process.on('exit', signalLiveChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      // Having a listener at all cancels Node's default "terminate". So act only when ours is the sole
      // listener (then do what the default would have done, children first); if the application
      // handles the signal itself, it decides when to exit and may stop children gracefully.
      if (process.listenerCount(signal) > 1) return;
      signalLiveChildren();
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

function trackChild(child: ChildProcess, signal: NodeJS.Signals): void {
  installParentExitHooks();
  liveChildren.set(child, signal);
  child.once('exit', () => liveChildren.delete(child));
}

let setprivPath: Promise<string | undefined> | undefined;

/**
 * On Linux, util-linux `setpriv --pdeathsig` makes the kernel signal the child when this process dies
 * in a way no JavaScript handler sees (SIGKILL, OOM killer, a crashed Jest worker). It execs the real
 * command, so the pid is unchanged.
 */
function findSetpriv(): Promise<string | undefined> {
  if (process.platform !== 'linux') return Promise.resolve(undefined);
  setprivPath ??= findExecutable('setpriv');
  return setprivPath;
}

// ---------------------------------------------------------------------------------------------------

/** Absolute path of `name` on PATH (or `name` itself if it already contains a slash), if executable. */
export async function findExecutable(name: string): Promise<string | undefined> {
  const candidates = name.includes(path.sep)
    ? [name]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    try {
      await fs.access(candidate, fsConstants.X_OK);
      if ((await fs.stat(candidate)).isFile()) return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

export interface SpawnManagedOptions {
  command: string;
  args?: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here (the file and its directory are created if missing). */
  logFile?: string;
  /** Lines kept in memory for tail() and error messages; default 200. */
  tailLines?: number;
  /** Signal the child when this Node process exits or dies; default true. */
  dieWithParent?: boolean;
  /** Signal used for dieWithParent; default SIGTERM, so servers still shut down cleanly. */
  parentExitSignal?: NodeJS.Signals;
  /**
   * Run the child in its own process group; default false. A terminal's Ctrl-C signals its whole
   * foreground group at once, so a server that its clients need while they shut down (the broker
   * while the services leave their groups and commit) must be out of that group: then only its owner
   * stops it, after them. It still dies with its parent (dieWithParent).
   */
  ownProcessGroup?: boolean;
}

export interface StopOptions {
  /** First, polite signal; default SIGTERM. */
  signal?: NodeJS.Signals;
  /** How long to wait for exit after `signal` before sending SIGKILL; default 20 000 ms. */
  timeoutMs?: number;
}

export interface WaitForLineOptions {
  timeoutMs: number;
  /** Lines of output quoted in the error message; default 40. */
  tailLines?: number;
}

export interface ManagedProcess {
  readonly pid: number;
  readonly logFile: string | undefined;
  /** Resolves (never rejects) once the process has exited and its output has been captured. */
  readonly exited: Promise<ProcessExit>;
  /** Undefined while the process is running. */
  exitStatus(): ProcessExit | undefined;
  /** Last output lines (stdout and stderr interleaved by arrival). */
  tail(lines?: number): string[];
  /** Subscribes to output lines; returns the unsubscribe function. */
  onLine(listener: (line: string) => void): () => void;
  /**
   * Resolves with the first output line matching `pattern`, including lines already printed (as far as
   * the in-memory tail reaches). Rejects with ProcessExitedError if the process exits first, or
   * WaitTimeoutError when the deadline passes.
   */
  waitForLine(pattern: RegExp | string, options: WaitForLineOptions): Promise<string>;
  /** Signals, waits, escalates to SIGKILL. Idempotent; safe after the process already exited. */
  stop(options?: StopOptions): Promise<ProcessExit>;
}

async function openLog(logFile: string | undefined): Promise<WriteStream | undefined> {
  if (logFile === undefined) return undefined;
  await fs.mkdir(path.dirname(logFile), { recursive: true });
  const stream = createWriteStream(logFile, { flags: 'a' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  // A failing log file (disk full, deleted dir) must not crash the parent with an unhandled 'error';
  // the in-memory tail still has the recent output.
  stream.on('error', () => undefined);
  return stream;
}

function matches(line: string, pattern: RegExp | string): boolean {
  return typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line);
}

/**
 * Whether a process with this pid is running: signal 0 reaches it (or is refused: it exists but
 * belongs to someone else), and on Linux it is not a zombie (a zombie answers signal 0 but is gone;
 * containers without an init never reap orphans).
 */
export function isProcessAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (!hasErrorCode(error, 'EPERM')) return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/** Spawns a long-running process with output capture (log file + in-memory tail) and lifecycle helpers. */
export async function spawnManaged(options: SpawnManagedOptions): Promise<ManagedProcess> {
  const args = options.args ?? [];
  const dieWithParent = options.dieWithParent ?? true;
  const parentExitSignal = options.parentExitSignal ?? 'SIGTERM';
  const tail = new LineTail(options.tailLines ?? 200);
  const lines = new EventEmitter();
  const log = await openLog(options.logFile);

  const setpriv = dieWithParent ? await findSetpriv() : undefined;
  if (setpriv !== undefined) {
    // Behind setpriv a missing command would surface as setpriv's exit code 127; keep the plain
    // spawn behaviour (an ENOENT error) that callers can recognise.
    const target = options.command.includes(path.sep) ? path.resolve(options.cwd ?? '.', options.command) : options.command;
    if ((await findExecutable(target)) === undefined) {
      log?.end();
      throw Object.assign(new Error(`spawn ${options.command} ENOENT`), { code: 'ENOENT', path: options.command });
    }
  }
  const [command, finalArgs] =
    setpriv !== undefined
      ? [setpriv, ['--pdeathsig', parentExitSignal.replace(/^SIG/, ''), '--', options.command, ...args]]
      : [options.command, [...args]];

  const child = spawn(command, finalArgs, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup ?? false,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (error) {
    log?.end();
    throw error;
  }
  if (dieWithParent) trackChild(child, parentExitSignal);

  const emitLine = (line: string): void => {
    tail.push(line);
    lines.emit('line', line);
  };
  const streams = [child.stdout, child.stderr].filter((stream): stream is Readable => stream !== null);
  const flushers = streams.map((stream) => {
    if (log !== undefined) {
      stream.on('data', (chunk: string) => {
        if (!log.writableEnded) log.write(chunk);
      });
    }
    return splitLines(stream, emitLine);
  });

  let exitStatus: ProcessExit | undefined;
  let outputComplete = false;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exitStatus = { code, signal };
      // 'close' (all stdio drained) normally follows at once, but a grandchild holding our pipes
      // open would delay it indefinitely; don't let that block callers.
      const settle = (): void => {
        if (outputComplete) return;
        outputComplete = true;
        flushers.forEach((flush) => flush());
        lines.emit('exit');
        if (log === undefined) resolve({ code, signal });
        else log.end(() => resolve({ code, signal }));
      };
      const grace = setTimeout(settle, 2_000);
      child.once('close', () => {
        clearTimeout(grace);
        settle();
      });
    });
  });

  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.command} started without a pid`);

  let stopping: Promise<ProcessExit> | undefined;

  const managed: ManagedProcess = {
    pid,
    logFile: options.logFile,
    exited,
    exitStatus: () => exitStatus,
    tail: (count?: number) => tail.lines(count),
    onLine(listener) {
      lines.on('line', listener);
      return () => lines.off('line', listener);
    },
    waitForLine(pattern, waitOptions) {
      const quoted = waitOptions.tailLines ?? 40;
      const already = tail.lines().find((line) => matches(line, pattern));
      if (already !== undefined) return Promise.resolve(already);
      return new Promise<string>((resolve, reject) => {
        const cleanup = (): void => {
          clearTimeout(timer);
          lines.off('line', onLine);
          lines.off('exit', onExit);
        };
        const onLine = (line: string): void => {
          if (!matches(line, pattern)) return;
          cleanup();
          resolve(line);
        };
        const onExit = (): void => {
          cleanup();
          const status = exitStatus ?? { code: null, signal: null };
          reject(
            new ProcessExitedError(
              `${options.command} (pid ${pid}) exited with ${describeExit(status)} before printing ${String(pattern)}. ` +
                `Last output:\n${formatTail(tail.lines(quoted))}`,
              status,
              tail.lines(quoted),
            ),
          );
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new WaitTimeoutError(
              `${options.command} (pid ${pid}) did not print ${String(pattern)} within ${waitOptions.timeoutMs} ms. ` +
                `Last output:\n${formatTail(tail.lines(quoted))}`,
              tail.lines(quoted),
            ),
          );
        }, waitOptions.timeoutMs);
        lines.on('line', onLine);
        lines.on('exit', onExit);
        // The process may have exited (and 'exit' been emitted) before we subscribed.
        if (outputComplete) onExit();
      });
    },
    stop(stopOptions = {}) {
      stopping ??= (async () => {
        if (exitStatus !== undefined) return exited;
        child.kill(stopOptions.signal ?? 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), stopOptions.timeoutMs ?? 20_000);
        });
        const outcome = await Promise.race([exited, timedOut]);
        clearTimeout(timer);
        if (outcome === 'timeout') child.kill('SIGKILL');
        return exited;
      })();
      return stopping;
    },
  };
  return managed;
}

export interface RunCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill (SIGKILL) and reject with WaitTimeoutError after this long; default: no limit. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed. Without it stdin is closed immediately. */
  input?: string;
  /** Output beyond this many characters per stream keeps only the end; default 10 MB. */
  maxOutputChars?: number;
}

export interface CommandResult {
  /** Exit code; -1 when the process was ended by a signal. */
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a short-lived command to completion and captures its output. A non-zero exit is returned, not
 * thrown; a missing executable rejects with the spawn error (code ENOENT).
 */
export function runCommand(command: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const maxChars = options.maxOutputChars ?? 10_000_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    trackChild(child, 'SIGTERM');
    let stdout = '';
    let stderr = '';
    const keepEnd = (text: string): string => (text.length > maxChars ? text.slice(-maxChars) : text);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = keepEnd(stdout + chunk)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = keepEnd(stderr + chunk)));
    // EPIPE when the command exits without reading stdin is not an error worth surfacing.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);

    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);

    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        const lastLines = `${stdout}\n${stderr}`.trim().split('\n').slice(-40);
        reject(
          new WaitTimeoutError(
            `${command} ${args.join(' ')} did not finish within ${options.timeoutMs} ms. Last output:\n${formatTail(lastLines)}`,
            lastLines,
          ),
        );
        return;
      }
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
  });
}
