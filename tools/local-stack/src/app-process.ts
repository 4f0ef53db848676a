import { findFreePort } from './free-port';
import { SERVICE_NODE_FLAGS, SERVICE_PROCESS_ENV } from './node-flags';
import { describeExit, ManagedProcess, ProcessExit, ProcessExitedError, spawnManaged, waitFor } from './process-utils';
import { AppName, appEntryPoint, REPO_ROOT } from './repo-paths';

export interface AppProcessOptions {
  service: AppName;
  /** Variables for the app on top of this process's environment. */
  env: Record<string, string>;
  port: number;
  /** Where metrics, docs and consumer status are served (MANAGEMENT_PORT); a free port when not given. */
  managementPort?: number;
  logFile?: string;
  onLine?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface AppProcess {
  service: AppName;
  /** The public port: the API and health. */
  url: string;
  /** The management port: /metrics, /docs, /consumer (and health), on 127.0.0.1. */
  managementUrl: string;
  process: ManagedProcess;
  /** Resolves once the process has exited, whatever the reason. */
  exited: Promise<ProcessExit>;
  /** Graceful stop (SIGTERM, then SIGKILL after the timeout). */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts a built app (dist/apps/<service>) as its own OS process and resolves once it says it is
 * listening, so callers can stop, kill or restart it like a real deployment.
 */
export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const managementPort = options.managementPort ?? (await findFreePort());
  const process_ = await spawnManaged({
    command: process.execPath,
    args: [...SERVICE_NODE_FLAGS, appEntryPoint(options.service)],
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...SERVICE_PROCESS_ENV, ...options.env, PORT: String(options.port), MANAGEMENT_PORT: String(managementPort) },
    logFile: options.logFile,
    tailLines: 400,
  });
  if (options.onLine) process_.onLine(options.onLine);
  try {
    await process_.waitForLine(`${options.service} listening on`, { timeoutMs: options.startTimeoutMs ?? 60_000 });
  } catch (error) {
    await process_.stop({ timeoutMs: 5_000 });
    throw error;
  }
  return {
    service: options.service,
    url: `http://127.0.0.1:${options.port}`,
    managementUrl: `http://127.0.0.1:${managementPort}`,
    process: process_,
    exited: process_.exited,
    stop: async (timeoutMs = 15_000) => {
      await process_.stop({ timeoutMs });
    },
  };
}

/**
 * Resolves once the app answers GET /health/ready with 200: "listening" is not "ready", an event
 * consumer joins its group after the HTTP server is up. Rejects if the process exits first or the
 * deadline passes.
 */
export async function waitUntilReady(app: Pick<AppProcess, 'service' | 'url' | 'process'>, timeoutMs: number): Promise<void> {
  // waitFor retries a probe that throws, so an exit ends the wait as a result and is thrown after it.
  const outcome = await waitFor(
    async () => {
      const exit = app.process.exitStatus();
      if (exit) return { exit };
      const response = await fetch(`${app.url}/health/ready`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
      return response?.status === 200 && { exit: undefined };
    },
    { timeoutMs, intervalMs: 250, description: `${app.service} at ${app.url} to be ready (GET /health/ready → 200)` },
  );
  if (outcome.exit) {
    throw new ProcessExitedError(`${app.service} exited (${describeExit(outcome.exit)}) before it was ready`, outcome.exit, app.process.tail(30));
  }
}
