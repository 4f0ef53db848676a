import path from 'node:path';
import { AppProcess, findFreePort, ProcessExit, startAppProcess } from '@relay/local-stack';
import { AppHandle, otherKafkaClient } from '../../support/stack';
import { waitFor } from '@relay/testing';

/**
 * Replaces a stack's app by an instance armed with `RELAY_FAILPOINTS` (same env, port and group):
 * the app is stopped gracefully, the armed instance started in its place. Once the armed instance
 * has killed itself, `app.start()` brings the normal one back on the same port.
 */
export async function startArmed(app: AppHandle, failpoints: string, started: AppProcess[]): Promise<AppProcess> {
  await app.stop();
  const armed = await startAppProcess({
    service: app.service,
    env: { ...app.env, RELAY_FAILPOINTS: failpoints },
    port: app.port,
    managementPort: app.managementPort,
    logFile: path.join(path.dirname(app.logFile), `${app.service}-armed-${Date.now().toString(36)}.log`),
    startTimeoutMs: 60_000,
  });
  started.push(armed);
  return armed;
}

/** Waits until the armed instance killed itself at `failpoint`; returns when that was seen. */
export async function waitForFailpointKill(armed: AppProcess, failpoint: string, timeoutMs = 90_000): Promise<{ at: number; exit: ProcessExit }> {
  const exit = await waitFor(() => armed.process.exitStatus(), {
    timeoutMs,
    intervalMs: 50,
    description: `${armed.service} to reach failpoint ${failpoint} and kill itself (log: ${armed.process.logFile})`,
  });
  const at = Date.now();
  if (exit.signal !== 'SIGKILL' || !armed.process.tail(400).some((line) => line.includes(`failpoint ${failpoint} reached`))) {
    throw new Error(`${armed.service} exited (${JSON.stringify(exit)}) without reaching failpoint ${failpoint}; last lines:\n${armed.process.tail(20).join('\n')}`);
  }
  return { at, exit };
}

/** Another instance of the app's service in the same group (same env but the other Kafka client: see otherKafkaClient), on a free port. */
export async function startExtraInstance(app: AppHandle, name: string, started: AppProcess[]): Promise<AppProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      const extra = await startAppProcess({
        service: app.service,
        env: { ...app.env, KAFKA_CLIENT: otherKafkaClient(app.env) },
        port: await findFreePort(),
        logFile: path.join(path.dirname(app.logFile), `${app.service}-${name}.log`),
        startTimeoutMs: 60_000,
      });
      started.push(extra);
      return extra;
    } catch (error) {
      if (attempt >= 3 || !String((error as Error)?.message).includes('EADDRINUSE')) throw error;
    }
  }
}

/** Sends a signal to a pid; false if the process is gone. */
export function signal(pid: number | undefined, name: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}
