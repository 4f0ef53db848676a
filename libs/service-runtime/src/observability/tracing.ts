import { Link, ROOT_CONTEXT, SpanContext, SpanKind, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { childTraceparent } from './trace-context';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

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

interface WorkTracer {
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

const KINDS: Record<WorkSpanKind, SpanKind> = { server: SpanKind.SERVER, producer: SpanKind.PRODUCER, consumer: SpanKind.CONSUMER, internal: SpanKind.INTERNAL };

function spanContextOf(traceparent: string | undefined): SpanContext | undefined {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  if (!match || match[1] === ZERO_TRACE || match[2] === ZERO_SPAN) return undefined;
  return { traceId: match[1], spanId: match[2], traceFlags: parseInt(match[3], 16), isRemote: true };
}

function traceparentOf(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.traceFlags.toString(16).padStart(2, '0')}`;
}

/** Spans exported over OTLP/HTTP by a batching processor (export runs off the request path). */
class OtlpTracer implements WorkTracer {
  private readonly tracer: Tracer;

  constructor(private readonly provider: TracerProvider) {
    this.tracer = provider.getTracer('relay');
  }

  start({ name, kind, parent, attributes, links }: WorkSpanStart): WorkSpan {
    const parentContext = spanContextOf(parent);
    const context = parentContext ? trace.setSpanContext(ROOT_CONTEXT, parentContext) : ROOT_CONTEXT;
    const spanLinks: Link[] = [];
    for (const link of links ?? []) {
      const linked = spanContextOf(link);
      if (linked) spanLinks.push({ context: linked });
    }
    const span = this.tracer.startSpan(name, { kind: KINDS[kind], attributes: definedAttributes(attributes), links: spanLinks }, context);
    let ended = false;
    return {
      traceparent: traceparentOf(span.spanContext()),
      end: (error?: unknown, attributes?: WorkSpanStart['attributes']) => {
        if (ended) return;
        ended = true;
        if (attributes) span.setAttributes(definedAttributes(attributes));
        if (error !== undefined) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        }
        span.end();
      },
    };
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

function definedAttributes(attributes: WorkSpanStart['attributes']): Record<string, string | number | boolean> {
  const defined: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes ?? {})) if (value !== undefined) defined[key] = value;
  return defined;
}

let active: WorkTracer = untraced;

/**
 * Turns tracing on for this process when an OTLP endpoint is configured (the standard
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, spans POSTed to `<endpoint>/v1/traces`); without one, nothing is
 * recorded and only the trace context is propagated. Called once by the service host at start-up
 * (tests may pass an exporter of their own).
 */
export function startTracing(options: { serviceName: string; instanceId?: string; endpoint?: string; exporter?: SpanExporter }): void {
  const exporter = options.exporter ?? (options.endpoint ? new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces` }) : undefined);
  if (!exporter) {
    active = untraced;
    return;
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'service.instance.id': options.instanceId ?? `${process.pid}` }),
    // Bounded: a collector that is down costs dropped spans, never memory or the request path.
    spanProcessors: [new BatchSpanProcessor({ exporter, maxQueueSize: 4_096, maxExportBatchSize: 512, scheduledDelayMillis: 1_000 })],
  });
  active = new OtlpTracer(provider);
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
