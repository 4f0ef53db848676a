import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiError } from './api-error';
import { HTTP_SERVER_LIMITS, HttpServerLimits } from './http-adapter';

/**
 * What only operators and monitoring may read: Prometheus metrics, the OpenAPI document and UI
 * (and the AsyncAPI document under /docs), and the consumer's status (group, partitions, lag). Served on the management port only.
 */
export const MANAGEMENT_PATHS = ['/metrics', '/docs', '/docs-json', '/consumer'] as const;

/** Served on both ports, without a token: probes and load balancers carry none. */
export const HEALTH_PATHS = ['/health/live', '/health/ready'] as const;

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

const underAny = (path: string, prefixes: readonly string[]) => prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

export const isManagementPath = (url: string): boolean => underAny(pathOf(url), MANAGEMENT_PATHS);
export const isHealthPath = (url: string): boolean => (HEALTH_PATHS as readonly string[]).includes(pathOf(url));

const managementRequests = new WeakSet<IncomingMessage>();

/** Each app's management server, closed with the app (hooks cannot be added once it listens). */
const managementServers = new WeakMap<FastifyInstance, Server>();

/** Whether the request came in on the management port. */
export function arrivedOnManagementPort(request: IncomingMessage): boolean {
  return managementRequests.has(request);
}

/**
 * One application, two ports: each route answers on one of them only. Management paths on the
 * public port, and API routes on the management port, are answered 404 as if they did not exist
 * (a caller on the public port cannot even tell they are there). Health answers on both.
 */
export function installPortSeparation(fastify: FastifyInstance): void {
  fastify.addHook('onClose', async () => {
    const server = managementServers.get(fastify);
    if (!server?.listening) return;
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.raw.url ?? '/';
    if (isHealthPath(url) || arrivedOnManagementPort(request.raw) === isManagementPath(url)) return undefined;
    return reply.code(404).send(apiError(404, 'NOT_FOUND', `Cannot ${request.method} ${pathOf(url)}`));
  });
}

/**
 * Opens the management port: a second HTTP server handing its requests to the same Fastify
 * instance (so the same routes, hooks, logs and metrics), marked as management requests. It has
 * the public server's request and headers limits, and closes with the application (see
 * installPortSeparation, which configureHttpApp runs before the app listens).
 */
export async function listenOnManagementPort(
  fastify: FastifyInstance,
  options: { port: number; host: string; limits?: HttpServerLimits },
): Promise<Server> {
  const limits = options.limits ?? HTTP_SERVER_LIMITS;
  const handler = fastify.server.listeners('request')[0] as ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  if (!handler) throw new Error('the public HTTP server has no request handler yet: open the management port after app.listen()');
  const server = createServer(
    { requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: limits.timeoutCheckIntervalMs },
    (request, response) => {
      managementRequests.add(request);
      handler(request, response);
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  managementServers.set(fastify, server);
  return server;
}
