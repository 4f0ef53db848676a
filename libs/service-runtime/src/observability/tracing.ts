import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { childTraceparent } from './trace-context';

/** A unit of work being traced: its own trace context (to pass on), and its end. */
export interface WorkSpan {
  /** W3C `traceparent` of this unit of work: what the events it raises and its answers carry. */
  readonly traceparent: string;
  /** Ends the span, with what was learnt on the way; an error marks it failed. Calling it twice is harmless. */
  end(error?: unknown, attributes?: WorkSpanStart['attributes']): void;
}

export type WorkSpanKind = 'server' | 'producer' | 'consumer' | 'internal';

export interface WorkSpanStart {
  name: string;
  kind: WorkSpanKind;
  /** The caller's or producer's `traceparent`; missing or malformed starts a new trace. */
  parent?: string;
  attributes?: Record<string, string | number | boolean | undefined>;
  /** Other units of work this one serves (a batch publish links each event's context). */
  links?: readonly (string | undefined)[];
}

export interface WorkTracer {
  start(span: WorkSpanStart): WorkSpan;
  shutdown(): Promise<void>;
}

/**
 * No exporter configured: no spans are recorded, and the trace context is still propagated (a new
 * span id under the caller's trace id), at the cost of one id per unit of work.
 */
const untraced: WorkTracer = {
  start: ({ parent }) => ({ traceparent: childTraceparent(parent), end: () => undefined }),
  shutdown: async () => undefined,
};

let active: WorkTracer = untraced;

/**
 * Turns tracing on for this process when an OTLP endpoint is configured (the standard
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, spans POSTed to `<endpoint>/v1/traces`); without one, nothing is
 * recorded and only the trace context is propagated. Called once by the service host at start-up
 * (tests may pass an exporter of their own).
 */
export function startTracing(options: { serviceName: string; instanceId?: string; endpoint?: string; exporter?: SpanExporter }): void {
  if (!options.exporter && !options.endpoint) {
    active = untraced;
    return;
  }
  // Loaded only here: the OpenTelemetry SDK and its OTLP exporter are about 2 MB of heap in every
  // service process, for nothing when no endpoint is configured.
  const { createOtlpTracer } = require('./otlp-tracer') as typeof import('./otlp-tracer');
  active = createOtlpTracer(options);
}

/** Exports what is still queued and stops tracing (at shutdown). */
export async function stopTracing(): Promise<void> {
  const stopping = active;
  active = untraced;
  await stopping.shutdown();
}

/**
 * Whether spans are recorded: callers on a hot path (each consumed event) skip building attributes
 * and links when they are not.
 */
export function tracingEnabled(): boolean {
  return active !== untraced;
}

/** Starts a span for a unit of work (or, with tracing off, only its trace context). */
export function startWorkSpan(span: WorkSpanStart): WorkSpan {
  return active.start(span);
}
