import { randomUUID } from 'node:crypto';
import { WorkContext } from './request-context';
import { startWorkSpan, WorkSpan } from './tracing';

export const CORRELATION_HEADER = 'x-correlation-id';
const VALID_CORRELATION_ID = /^[\x21-\x7e]{1,200}$/;

type Headers = Record<string, string | string[] | undefined>;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * The work of an HTTP request: its context (the caller's `X-Correlation-Id` or a new one, and a
 * child of the caller's trace context or a new trace) and its server span, which the response
 * ends. The response echoes both ids (see configureHttpApp).
 */
export function startRequestWork(request: { method: string; url: string; headers: Headers }): { context: WorkContext & { traceparent: string }; span: WorkSpan } {
  const candidate = first(request.headers[CORRELATION_HEADER]);
  const correlationId = candidate && VALID_CORRELATION_ID.test(candidate) ? candidate : randomUUID();
  const path = request.url.split('?', 1)[0];
  const span = startWorkSpan({
    name: `${request.method} ${path}`,
    kind: 'server',
    parent: first(request.headers.traceparent),
    attributes: { 'http.request.method': request.method, 'url.path': path, 'relay.correlation_id': correlationId },
  });
  return { context: { correlationId, traceparent: span.traceparent }, span };
}
