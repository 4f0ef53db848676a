import { FastifyAdapter } from '@nestjs/platform-fastify';

/** How much of a client's time and bytes a service's HTTP server accepts. */
export interface HttpServerLimits {
  /** Larger request bodies get 413 PAYLOAD_TOO_LARGE (an order is well under 10 kB). */
  bodyLimitBytes: number;
  /** A request's headers must arrive within this time of its first byte, or the server answers 408 and closes the connection. */
  headersTimeoutMs: number;
  /** A whole request (headers and body) must arrive within this time, or 408 and the connection is closed. */
  requestTimeoutMs: number;
  /** How often the server looks for requests past those timeouts: a late request is cut off up to this much later. */
  timeoutCheckIntervalMs: number;
}

/**
 * Without these, Fastify waits for a request for ever (its `requestTimeout` is 0 by default), so a
 * client trickling bytes (slowloris) holds a socket and its buffers for as long as it likes. Node's
 * own headers timeout (60 s) would only be checked every 30 s. Idle keep-alive connections are
 * closed after Fastify's `keepAliveTimeout` (72 s).
 */
export const HTTP_SERVER_LIMITS: HttpServerLimits = {
  bodyLimitBytes: 102_400,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  timeoutCheckIntervalMs: 1_000,
};

/** The Fastify adapter every service's HTTP server runs on, with those limits. */
export function createHttpAdapter(limits: HttpServerLimits = HTTP_SERVER_LIMITS): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: limits.bodyLimitBytes,
    requestTimeout: limits.requestTimeoutMs,
    // Passed to Node's http.createServer (Fastify sets requestTimeout on the server it creates).
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: limits.timeoutCheckIntervalMs },
  });
}
