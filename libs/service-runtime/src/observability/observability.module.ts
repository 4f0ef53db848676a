import { DynamicModule, Module, OnApplicationShutdown } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { LevelWithSilent, stdSerializers } from 'pino';
import { currentWorkContext } from './request-context';
import { CORRELATION_HEADER } from './request-work-context';
import { MetricsController } from './metrics';
import { traceIdOf } from './trace-context';
import { startTracing, stopTracing } from './tracing';

export type LogFormat = 'json' | 'pretty';
/** Which requests get a "request completed" line (LOG_HTTP_REQUESTS). */
export type HttpRequestLogging = 'errors' | 'all';
type NestLevel = 'error' | 'warn' | 'log' | 'debug' | 'verbose';

const pinoLevels: Record<NestLevel, string> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };
const quietPaths = new Set(['/health/live', '/health/ready', '/metrics']);

interface LoggedRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  log?: { isLevelEnabled(level: string): boolean };
}
interface LoggedResponse {
  statusCode: number;
  getHeader(name: string): unknown;
}

/**
 * The level of a request's "request completed" line. With `errors`, a request answered below 400
 * is logged at debug, and not at all (not even built) when debug is off: on the hot path of a busy
 * service, that line was a serialisation and a write per request for no information.
 */
export function requestLogLevel(requests: HttpRequestLogging, request: LoggedRequest, statusCode: number, error?: unknown): LevelWithSilent {
  if (error || statusCode >= 400 || requests === 'all') return 'info';
  return request.log?.isLevelEnabled('debug') ? 'debug' : 'silent';
}

/**
 * Structured logs (pino): one JSON object per line with the service name and, where they apply,
 * the correlationId, eventId, topic, partition and offset of the work being done. `pretty` is for
 * people at a terminal; `json` for everything else. Also serves Prometheus metrics at /metrics,
 * and records OpenTelemetry spans when `otlpEndpoint` (OTEL_EXPORTER_OTLP_ENDPOINT) is set.
 *
 * HTTP requests answered 400 or above get a "request completed" line; the others only at debug
 * level, unless `requests` (LOG_HTTP_REQUESTS) is `all`.
 */
/** Exports the spans still queued when the application shuts down. */
class TracingShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await stopTracing();
  }
}

@Module({})
export class ObservabilityModule {
  static forRoot(options: { service: string; level: NestLevel; format: LogFormat; requests: HttpRequestLogging; otlpEndpoint?: string }): DynamicModule {
    const { requests } = options;
    // Spans (HTTP requests, intake transactions, publishes, each consumed event) are recorded and
    // exported only when an OTLP endpoint is configured; otherwise only trace context is propagated.
    startTracing({ serviceName: options.service, endpoint: options.otlpEndpoint });
    return {
      module: ObservabilityModule,
      controllers: [MetricsController],
      providers: [TracingShutdown],
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
            customLogLevel: (request, response, error) => requestLogLevel(requests, request as LoggedRequest, response.statusCode, error),
            // The request-completed line can be written outside the request's work context; inside
            // it, the mixin has the ids already, and no binding means no child logger per request.
            customProps: (_request, response) =>
              (currentWorkContext() ? undefined : { correlationId: (response as LoggedResponse).getHeader(CORRELATION_HEADER) }) as object,
            autoLogging: { ignore: (request) => quietPaths.has((request.url ?? '').split('?')[0]) },
            // Our serializers read the raw request and response: no intermediate copy per request.
            wrapSerializers: false,
            serializers: {
              req: (request: LoggedRequest) => ({ method: request.method, url: request.originalUrl ?? request.url }),
              res: (response: LoggedResponse) => ({ statusCode: response.statusCode }),
              err: stdSerializers.err,
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
