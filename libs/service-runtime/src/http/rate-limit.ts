import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../auth/request-authentication';
import { apiError } from './api-error';
import { arrivedOnManagementPort, isHealthPath } from './management-port';

/**
 * Requests per minute one client (a token's subject, else an IP address) may make to one instance.
 * 6000 (100 a second, sustained for a minute) is far above what a person or a well-behaved
 * integration sends, and well under what one instance serves, so one runaway client cannot starve
 * the others; the bench spreads its load over many customers (tools/bench), each far below it.
 */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 6_000;

/** The key a request is counted under: its verified token's subject, else its client address. */
export function rateLimitKey(request: FastifyRequest): string {
  const principal = principalOf(request.raw);
  return principal ? `sub:${principal.subject}` : `ip:${request.ip}`;
}

/**
 * Per-client rate limit on the public port (@fastify/rate-limit, in-process: each instance counts
 * its own requests, so N instances admit up to N times the limit from one client). Runs after
 * authentication, keyed by the token's subject when it verified, else by IP (so forged tokens
 * cannot spread one client over many keys). Over the limit: 429 in the shared error shape, with
 * Retry-After in seconds. Health probes and the management port are not limited.
 */
export async function installRateLimit(fastify: FastifyInstance, options: { perMinute: number }): Promise<void> {
  // `global: false`: no hook of its own on every route; the limiter is called below, so the 429 has our error shape.
  await fastify.register(rateLimit, { global: false, max: options.perMinute, timeWindow: 60_000, keyGenerator: rateLimitKey });
  const limiter = fastify.createRateLimit();
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (arrivedOnManagementPort(request.raw) || isHealthPath(request.raw.url ?? '/')) return undefined;
    const limit = await limiter(request);
    if (limit.isAllowed || !limit.isExceeded) return undefined;
    return reply
      .header('Retry-After', String(Math.max(1, limit.ttlInSeconds)))
      .code(429)
      .send(apiError(429, 'RATE_LIMITED', `too many requests from this client: at most ${limit.max} a minute; retry in ${limit.ttlInSeconds} s`));
  });
}
