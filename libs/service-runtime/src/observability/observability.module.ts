import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { currentWorkContext } from './request-context';
import { CORRELATION_HEADER } from './correlation.middleware';
import { MetricsController } from './metrics';
import { traceIdOf } from './trace-context';

export type LogFormat = 'json' | 'pretty';
type NestLevel = 'error' | 'warn' | 'log' | 'debug' | 'verbose';

const pinoLevels: Record<NestLevel, string> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };
const quietPaths = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * Structured logs (pino): one JSON object per line with the service name and, where they apply,
 * the correlationId, eventId, topic, partition and offset of the work being done. `pretty` is for
 * people at a terminal; `json` for everything else. Also serves Prometheus metrics at /metrics.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(options: { service: string; level: NestLevel; format: LogFormat }): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [MetricsController],
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: pinoLevels[options.level],
            base: { service: options.service },
            messageKey: 'message',
            mixin: () => {
              const context = currentWorkContext();
              if (!context) return {};
              // The trace id joins these lines to one order's trace across services.
              const { traceparent, ...fields } = context;
              return { ...fields, traceId: traceIdOf(traceparent) };
            },
            // The request-completed line can be written outside the request's work context.
            customProps: (_request, response) => (currentWorkContext() ? {} : { correlationId: response.getHeader(CORRELATION_HEADER) }),
            autoLogging: { ignore: (request) => quietPaths.has((request.url ?? '').split('?')[0]) },
            serializers: {
              req: (request: { method?: string; url?: string }) => ({ method: request.method, url: request.url }),
              res: (response: { statusCode?: number }) => ({ statusCode: response.statusCode }),
            },
            ...(options.format === 'pretty'
              ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,req,res', messageKey: 'message' } } }
              : {}),
          },
        }),
      ],
    };
  }
}
