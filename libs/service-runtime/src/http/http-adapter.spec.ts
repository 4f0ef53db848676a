import { connect, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createHttpAdapter, HTTP_SERVER_LIMITS } from './http-adapter';

/** Opens a connection, writes `chunks` (the last one never completes the request), and resolves with what the server said and after how long, once it closes the connection. */
function slowClient(port: number, chunks: string[]): Promise<{ reply: string; afterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let reply = '';
    const socket: Socket = connect(port, '127.0.0.1', () => chunks.forEach((chunk) => socket.write(chunk)));
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => (reply += data));
    socket.on('error', reject);
    socket.on('close', () => resolve({ reply, afterMs: Date.now() - started }));
  });
}

describe('createHttpAdapter', () => {
  it('sets the request, headers and body limits on the server (none of them is Fastify\'s default)', async () => {
    const adapter = createHttpAdapter();
    const fastify = adapter.getInstance();
    await fastify.ready();
    const server = fastify.server as Server;
    expect(server.requestTimeout).toBe(HTTP_SERVER_LIMITS.requestTimeoutMs);
    expect(server.headersTimeout).toBe(HTTP_SERVER_LIMITS.headersTimeoutMs);
    expect(fastify.initialConfig.bodyLimit).toBe(HTTP_SERVER_LIMITS.bodyLimitBytes);
    expect(HTTP_SERVER_LIMITS.headersTimeoutMs).toBeLessThan(HTTP_SERVER_LIMITS.requestTimeoutMs);
    await fastify.close();
  });

  describe('a client that sends too slowly (shortened limits)', () => {
    const limits = { bodyLimitBytes: 1_024, headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutCheckIntervalMs: 50 };
    const adapter = createHttpAdapter(limits);
    const fastify = adapter.getInstance();
    let port: number;

    beforeAll(async () => {
      fastify.post('/orders', async () => ({ ok: true }));
      await fastify.listen({ port: 0, host: '127.0.0.1' });
      port = (fastify.server.address() as AddressInfo).port;
    });
    afterAll(() => fastify.close());

    it('is answered 408 and cut off when its headers do not arrive in time', async () => {
      const { reply, afterMs } = await slowClient(port, ['POST /orders HTTP/1.1\r\nHost: relay\r\n']);
      expect(reply).toMatch(/^HTTP\/1\.1 408 /);
      expect(afterMs).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 50);
      expect(afterMs).toBeLessThan(limits.requestTimeoutMs + 1_000);
    });

    it('is answered 408 and cut off when its body does not arrive in time', async () => {
      const { reply, afterMs } = await slowClient(port, ['POST /orders HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"a":']);
      expect(reply).toMatch(/^HTTP\/1\.1 408 /);
      expect(afterMs).toBeGreaterThanOrEqual(limits.requestTimeoutMs - 50);
      expect(afterMs).toBeLessThan(limits.requestTimeoutMs + 1_000);
    });
  });
});
