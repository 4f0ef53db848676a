import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { isDatabaseUnavailable } from '../database/database-errors';
import { ApiErrorBody, defaultErrorCodes } from './api-error';

interface ExpressLikeResponse {
  headersSent?: boolean;
  setHeader(name: string, value: string): void;
  status(code: number): { json(body: unknown): void };
}

/** Seconds a client should wait before retrying a request that met a database outage. */
const RETRY_AFTER_SECONDS = 2;

/**
 * 5xx answers that are no bug, so no stack trace in the log: not ready yet, or overloaded (a
 * stack per refused request would cost CPU exactly when there is none to spare). The request's
 * "request completed" line still records each of them.
 */
const EXPECTED_UNAVAILABILITY = new Set(['NOT_READY', 'SERVICE_OVERLOADED']);

/** Body-parser errors arrive as plain errors with a `type`; they are the client's fault. */
interface BodyParserError {
  type?: string;
  status?: number;
  message: string;
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
    const response = host.switchToHttp().getResponse<ExpressLikeResponse>();
    const body = this.toBody(exception);
    if (body.code === 'DATABASE_UNAVAILABLE') {
      this.logger.warn(`database unavailable: ${exception instanceof Error ? exception.message : String(exception)}`);
      if (!response.headersSent) response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    } else if (body.status >= 500 && !EXPECTED_UNAVAILABILITY.has(body.code)) {
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    }
    if (!response.headersSent) response.status(body.status).json(body);
  }

  private toBody(exception: unknown): ApiErrorBody {
    // Nest's Express adapter wraps body-parser errors in an HttpException; the cause tells them apart.
    const cause = exception instanceof HttpException ? exception.cause : undefined;
    if ((cause as BodyParserError | undefined)?.type) return this.toBody(cause);
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
    const parserError = exception as BodyParserError;
    if (parserError?.type === 'entity.parse.failed') {
      return { status: 400, code: 'MALFORMED_JSON', message: `request body is not valid JSON: ${parserError.message}` };
    }
    if (parserError?.type === 'entity.too.large') {
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than the limit' };
    }
    if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      return { status: parserError.status, code: defaultErrorCodes[parserError.status] ?? `HTTP_${parserError.status}`, message: parserError.message };
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
