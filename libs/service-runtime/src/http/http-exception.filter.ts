import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { isDatabaseUnavailable } from '../database/database-errors';
import { ApiErrorBody, defaultErrorCodes } from './api-error';

/** What the filter needs of a Fastify reply. */
interface Reply {
  sent: boolean;
  header(name: string, value: string): unknown;
  status(code: number): { send(body: unknown): unknown };
}

/** Seconds a client should wait before retrying a request that met a database outage. */
const RETRY_AFTER_SECONDS = 2;

/**
 * 5xx answers that are no bug, so no stack trace in the log: not ready yet, or overloaded (a
 * stack per refused request would cost CPU exactly when there is none to spare). The request's
 * "request completed" line still records each of them.
 */
const EXPECTED_UNAVAILABILITY = new Set(['NOT_READY', 'SERVICE_OVERLOADED']);

/**
 * Fastify's errors reading a request (body not JSON, too large, unsupported media type): Nest
 * wraps them in an HttpException whose cause carries Fastify's code. They are the client's fault.
 */
interface FastifyClientError {
  code?: string;
  message: string;
}
const MALFORMED_BODY = new Set(['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY']);

/**
 * RFC 6750's challenge: `Bearer` alone when no token came, with `error="invalid_token"` when one
 * was refused (a client then knows to get a new token rather than retry).
 */
function wwwAuthenticate(body: ApiErrorBody): string {
  if (body.code === 'AUTH.TOKEN_MISSING') return 'Bearer realm="relay"';
  return `Bearer realm="relay", error="invalid_token", error_description="${body.message.replace(/["\\]/g, "'")}"`;
}

/**
 * Maps every error to the shared ApiErrorBody shape. Client errors keep their status and message;
 * anything unexpected becomes a 500 with a generic message (the stack goes to the log, never to
 * the caller).
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<Reply>();
    const body = this.toBody(exception);
    if (body.code === 'DATABASE_UNAVAILABLE') {
      this.logger.warn(`database unavailable: ${exception instanceof Error ? exception.message : String(exception)}`);
      if (!reply.sent) reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
    } else if (body.status >= 500 && !EXPECTED_UNAVAILABILITY.has(body.code)) {
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    }
    if (body.status === 401 && !reply.sent) reply.header('WWW-Authenticate', wwwAuthenticate(body));
    if (!reply.sent) reply.status(body.status).send(body);
  }

  private toBody(exception: unknown): ApiErrorBody {
    const cause = (exception instanceof HttpException ? exception.cause : undefined) as FastifyClientError | undefined;
    if (cause?.code && MALFORMED_BODY.has(cause.code)) {
      return { status: 400, code: 'MALFORMED_JSON', message: `request body is not valid JSON: ${cause.message}` };
    }
    if (cause?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than the limit' };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const raw = exception.getResponse();
      if (typeof raw === 'object' && raw !== null && 'code' in raw && 'message' in raw) {
        return { status, ...(raw as Omit<ApiErrorBody, 'status'>) };
      }
      const health = this.failedHealthChecks(raw);
      if (health) return { status, code: 'NOT_READY', message: `not ready: ${health.map((detail) => detail.field).join(', ')}`, details: health };
      const message = typeof raw === 'string' ? raw : this.messageOf(raw) ?? exception.message;
      return { status, code: defaultErrorCodes[status] ?? `HTTP_${status}`, message };
    }
    if (isDatabaseUnavailable(exception)) {
      return { status: 503, code: 'DATABASE_UNAVAILABLE', message: 'the database is unavailable; nothing was saved, retry shortly' };
    }
    return { status: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' };
  }

  /** A failed health check (@nestjs/terminus) lists its failing indicators under `error`. */
  private failedHealthChecks(raw: unknown): ApiErrorBody['details'] | undefined {
    const error = (raw as { status?: unknown; error?: unknown } | null)?.error;
    if ((raw as { status?: unknown } | null)?.status !== 'error' || typeof error !== 'object' || error === null) return undefined;
    return Object.entries(error as Record<string, { message?: unknown }>).map(([field, indicator]) => ({
      field,
      problem: typeof indicator?.message === 'string' ? indicator.message : 'down',
    }));
  }

  private messageOf(raw: object): string | undefined {
    const message = (raw as { message?: unknown }).message;
    if (Array.isArray(message)) return message.join('; ');
    return typeof message === 'string' ? message : undefined;
  }
}
