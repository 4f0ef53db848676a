import { INestApplication, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger as PinoLogger } from 'nestjs-pino';
import { CORRELATION_HEADER, startRequestWork } from '../observability/request-work-context';
import { WorkSpan } from '../observability/tracing';
import { collectProcessMetrics, recordHttpRequest } from '../observability/metrics';
import { runInWorkContext, WorkContext } from '../observability/request-context';
import { AuthGuard } from '../auth/auth.guard';
import { CallerAuthenticator, installAuthentication } from '../auth/request-authentication';
import { HttpExceptionFilter } from './http-exception.filter';
import { installPortSeparation } from './management-port';
import { installRateLimit } from './rate-limit';
import { createValidationPipe } from './validation.pipe';

const workContexts = new WeakMap<FastifyRequest, WorkContext>();
const requestSpans = new WeakMap<FastifyRequest, WorkSpan>();

export interface HttpAppOptions {
  service: string;
  shutdownTimeoutMs: number;
  /** Identifies every request's caller (createCallerAuthenticator; see AuthGuard for which routes need one). */
  authenticator: CallerAuthenticator;
  /** Per client (token subject, else IP) and instance; see DEFAULT_RATE_LIMIT_PER_MINUTE. */
  rateLimitPerMinute: number;
}

/**
 * The HTTP conventions every service shares (on Fastify): structured logs, a correlation id and
 * trace context per request, metrics, management routes on the management port only (see
 * listenOnManagementPort), bearer-token authentication and roles on every other route but health,
 * a per-client rate limit, strict validation, one error shape, and a clean shutdown
 * with a deadline. On SIGTERM or SIGINT the app stops taking work, finishes or abandons what is in
 * flight (consumers commit only what is durable), leaves its consumer group and exits; if that
 * takes longer than `shutdownTimeoutMs`, the process exits anyway, and whatever was not committed
 * is simply processed again by the next owner of the partition.
 */
export async function configureHttpApp(app: INestApplication, options: HttpAppOptions): Promise<void> {
  app.useLogger(app.get(PinoLogger));
  collectProcessMetrics(options.service);
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  // Every answer, errors included, echoes the correlation id and trace context.
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const { context, span } = startRequestWork(request);
    workContexts.set(request, context);
    requestSpans.set(request, span);
    void reply.header(CORRELATION_HEADER, context.correlationId).header('traceparent', context.traceparent);
    done();
  });
  // In this order: a route on the wrong port is a 404 whoever asks; the caller is identified before
  // it is counted, so the rate limit is per token subject.
  installPortSeparation(fastify);
  installAuthentication(fastify, options.authenticator);
  await installRateLimit(fastify, { perMinute: options.rateLimitPerMinute });
  // The handler runs inside the request's work context, so its logs and the events it raises carry
  // it. Entered here, after the body is read: the stream's callbacks would not keep it.
  fastify.addHook('preHandler', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const context = workContexts.get(request);
    if (context) runInWorkContext(context, done);
    else done();
  });
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    recordHttpRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    requestSpans.get(request)?.end(reply.statusCode >= 500 ? new Error(`HTTP ${reply.statusCode}`) : undefined, {
      'http.route': request.routeOptions.url,
      'http.response.status_code': reply.statusCode,
    });
    done();
  });
  app.useGlobalGuards(new AuthGuard(app.get(Reflector)));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  const logger = new Logger('Shutdown');
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal} received: draining (deadline ${options.shutdownTimeoutMs} ms)`);
      setTimeout(() => {
        logger.error(`still running ${options.shutdownTimeoutMs} ms after ${signal}; exiting now`);
        process.exit(1);
      }, options.shutdownTimeoutMs).unref();
    });
  }
}
