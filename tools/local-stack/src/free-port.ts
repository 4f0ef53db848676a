import net from 'node:net';

export const LOOPBACK_HOST = '127.0.0.1';

/**
 * Asks the OS for an unused TCP port on `host`. The port is released before this resolves, so another
 * process can still take it before the caller binds it; callers that spawn servers should treat
 * "address already in use" at startup as a possibility.
 */
export function findFreePort(host: string = LOOPBACK_HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`could not determine the port picked on ${host}`));
        return;
      }
      const { port } = address;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}

/** True when nothing is bound to `host:port` (we could bind it ourselves). */
export function isPortFree(port: number, host: string = LOOPBACK_HOST): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** One TCP connect attempt; true if something accepted the connection within `timeoutMs`. */
export function canConnect(port: number, host: string = LOOPBACK_HOST, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (ok: boolean): void => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export interface WaitForPortOptions {
  host?: string;
  timeoutMs: number;
  /** Delay between attempts; default 100 ms. */
  intervalMs?: number;
  /** Polled between attempts; a thrown error aborts the wait (e.g. "the server process exited"). */
  checkAborted?: () => void;
}

/** Resolves once `host:port` accepts a TCP connection; rejects after `timeoutMs`. */
export async function waitForPort(port: number, options: WaitForPortOptions): Promise<void> {
  const host = options.host ?? LOOPBACK_HOST;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.checkAborted?.();
    const remaining = deadline - Date.now();
    if (await canConnect(port, host, Math.max(50, Math.min(1_000, remaining)))) return;
    if (Date.now() + intervalMs > deadline) {
      throw new Error(`nothing accepted TCP connections on ${host}:${port} within ${options.timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
