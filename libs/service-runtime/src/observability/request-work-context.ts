import { randomUUID } from 'node:crypto';
import { WorkContext } from './request-context';
import { childTraceparent } from './trace-context';

export const CORRELATION_HEADER = 'x-correlation-id';
const VALID_CORRELATION_ID = /^[\x21-\x7e]{1,200}$/;

type Headers = Record<string, string | string[] | undefined>;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * The work context of an HTTP request: the caller's `X-Correlation-Id` (or a new one) and a child
 * of the caller's trace context (or a new trace). The response echoes both (see configureHttpApp).
 */
export function requestWorkContext(headers: Headers): WorkContext & { traceparent: string } {
  const candidate = first(headers[CORRELATION_HEADER]);
  const correlationId = candidate && VALID_CORRELATION_ID.test(candidate) ? candidate : randomUUID();
  return { correlationId, traceparent: childTraceparent(first(headers.traceparent)) };
}
