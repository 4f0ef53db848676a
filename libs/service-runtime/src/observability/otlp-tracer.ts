import { Link, ROOT_CONTEXT, SpanContext, SpanKind, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import type { WorkSpan, WorkSpanKind, WorkSpanStart, WorkTracer } from './tracing';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

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

/**
 * The tracer of a process that exports its spans: to `exporter`, or over OTLP/HTTP to
 * `<endpoint>/v1/traces`.
 */
export function createOtlpTracer(options: { serviceName: string; instanceId?: string; endpoint?: string; exporter?: SpanExporter }): WorkTracer {
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: `${(options.endpoint ?? '').replace(/\/+$/, '')}/v1/traces` });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'service.instance.id': options.instanceId ?? `${process.pid}` }),
    // Bounded: a collector that is down costs dropped spans, never memory or the request path.
    spanProcessors: [new BatchSpanProcessor({ exporter, maxQueueSize: 4_096, maxExportBatchSize: 512, scheduledDelayMillis: 1_000 })],
  });
  return new OtlpTracer(provider);
}
