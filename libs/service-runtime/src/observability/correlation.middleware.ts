import { randomUUID } from 'node:crypto';
import { runInWorkContext } from './request-context';
import { childTraceparent } from './trace-context';

export const CORRELATION_HEADER = 'x-correlation-id';
const VALID_CORRELATION_ID = /^[\x21-\x7e]{1,200}$/;

interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
}
interface ResponseLike {
  setHeader(name: string, value: string): void;
}

/**
 * Takes the caller's `X-Correlation-Id` (or makes one), echoes it in the response, and runs the
 * rest of the request inside that work context, so logs and raised events carry it.
 */
export function correlationMiddleware(request: RequestLike, response: ResponseLike, next: () => void): void {
  const given = request.headers[CORRELATION_HEADER];
  const candidate = Array.isArray(given) ? given[0] : given;
  const correlationId = candidate && VALID_CORRELATION_ID.test(candidate) ? candidate : randomUUID();
  const parent = request.headers.traceparent;
  const traceparent = childTraceparent(Array.isArray(parent) ? parent[0] : parent);
  response.setHeader(CORRELATION_HEADER, correlationId);
  response.setHeader('traceparent', traceparent);
  runInWorkContext({ correlationId, traceparent }, next);
}
