import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * W3C trace context (`traceparent`), propagated HTTP → outbox → Kafka headers → consumers, so an
 * OpenTelemetry collector could join one order's spans across the three services. Each unit of
 * work gets a new span id under the caller's trace id; a missing or malformed header starts a new
 * trace. No exporter runs and nothing leaves the process.
 */
export function childTraceparent(parent: string | undefined): string {
  const match = parent ? TRACEPARENT.exec(parent.trim().toLowerCase()) : null;
  const span = randomBytes(8).toString('hex');
  if (match && match[1] !== ZERO_TRACE && match[2] !== ZERO_SPAN) return `00-${match[1]}-${span}-${match[3]}`;
  return `00-${randomBytes(16).toString('hex')}-${span}-01`;
}

export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
}
