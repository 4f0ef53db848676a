import { INestApplication, Logger } from '@nestjs/common';
import { Logger as PinoLogger } from 'nestjs-pino';
import { correlationMiddleware } from '../observability/correlation.middleware';
import { collectProcessMetrics, httpMetricsMiddleware } from '../observability/metrics';
import { HttpExceptionFilter } from './http-exception.filter';
import { createValidationPipe } from './validation.pipe';

/**
 * The HTTP conventions every service shares: structured logs, a correlation id and trace context
 * per request, metrics, strict validation, one error shape, and a clean shutdown with a deadline. On SIGTERM or SIGINT the app stops taking work, finishes or abandons
 * what is in flight (consumers commit only what is durable), leaves its consumer group and exits;
 * if that takes longer than `shutdownTimeoutMs`, the process exits anyway, and whatever was not
 * committed is simply processed again by the next owner of the partition.
 */
export function configureHttpApp(app: INestApplication, options: { service: string; shutdownTimeoutMs: number }): void {
  app.useLogger(app.get(PinoLogger));
  collectProcessMetrics(options.service);
  app.use(correlationMiddleware);
  app.use(httpMetricsMiddleware);
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
