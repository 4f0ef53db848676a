import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace';
import { startTracing, startWorkSpan, stopTracing } from './tracing';

const CALLER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('tracing', () => {
  afterEach(async () => {
    await stopTracing();
  });

  it('without an endpoint records nothing and still continues the caller trace in a new span id', () => {
    startTracing({ serviceName: 'orders' });
    const span = startWorkSpan({ name: 'GET /orders', kind: 'server', parent: CALLER });
    expect(span.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(span.traceparent).not.toContain('b7ad6b7169203331');
    expect(startWorkSpan({ name: 'x', kind: 'internal', parent: 'garbage' }).traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('loads the OpenTelemetry SDK and exporter only when an endpoint or exporter is given', () => {
    jest.isolateModules(() => {
      jest.doMock('./otlp-tracer', () => {
        throw new Error('otlp-tracer loaded');
      });
      const isolated = jest.requireActual<typeof import('./tracing')>('./tracing');
      isolated.startTracing({ serviceName: 'orders' });
      expect(isolated.tracingEnabled()).toBe(false);
      expect(() => isolated.startTracing({ serviceName: 'orders', endpoint: 'http://127.0.0.1:4318' })).toThrow('otlp-tracer loaded');
    });
    jest.dontMock('./otlp-tracer');
  });

  describe('with an exporter', () => {
    it('exports each span under its parent, with its links, attributes and failure, once stopped', async () => {
      const exporter = new InMemorySpanExporter();
      startTracing({ serviceName: 'inventory', exporter });
      const request = startWorkSpan({ name: 'POST /orders', kind: 'server', parent: CALLER, attributes: { 'http.request.method': 'POST', skipped: undefined } });
      const consume = startWorkSpan({ name: 'process order.placed', kind: 'consumer', parent: request.traceparent, attributes: { 'messaging.kafka.offset': 42 } });
      const publish = startWorkSpan({ name: 'publish relay.orders.v1', kind: 'producer', links: [request.traceparent, 'not-a-traceparent'] });
      consume.end(new Error('stock table locked'), { 'relay.outcome': 'retried' });
      consume.end();
      publish.end();
      request.end(undefined, { 'http.response.status_code': 201 });
      const finished: ReadableSpan[] = [];
      const collect = exporter.export.bind(exporter);
      exporter.export = (spans, done) => {
        finished.push(...spans);
        collect(spans, done);
      };
      await stopTracing();

      const [traceId, requestId] = request.traceparent.split('-').slice(1, 3);
      expect(traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      const byName = new Map(finished.map((span) => [span.name, span]));
      expect(finished).toHaveLength(3);
      const server = byName.get('POST /orders')!;
      expect(server.resource.attributes['service.name']).toBe('inventory');
      expect(server.spanContext()).toMatchObject({ traceId, spanId: requestId });
      expect(server.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(server.kind).toBe(SpanKind.SERVER);
      expect(server.attributes).toEqual({ 'http.request.method': 'POST', 'http.response.status_code': 201 });
      const consumer = byName.get('process order.placed')!;
      expect(consumer.spanContext().traceId).toBe(traceId);
      expect(consumer.parentSpanContext?.spanId).toBe(requestId);
      expect(consumer.attributes).toEqual({ 'messaging.kafka.offset': 42, 'relay.outcome': 'retried' });
      expect(consumer.status).toEqual({ code: SpanStatusCode.ERROR, message: 'stock table locked' });
      expect(consumer.events.map((event) => event.name)).toEqual(['exception']);
      const producer = byName.get('publish relay.orders.v1')!;
      expect(producer.spanContext().traceId).not.toBe(traceId);
      expect(producer.links.map((link) => link.context)).toEqual([expect.objectContaining({ traceId, spanId: requestId })]);
    });
  });
});
