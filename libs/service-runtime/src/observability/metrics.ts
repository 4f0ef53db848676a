import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { collectDefaultMetrics, Histogram, register } from 'prom-client';

let defaultsCollected = false;

/** Process metrics (CPU, memory, event loop lag, GC) once per process. */
export function collectProcessMetrics(service: string): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  register.setDefaultLabels({ service });
  collectDefaultMetrics();
}

export const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP requests by method, route and status, and how long they took',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
});

/**
 * Records one answered request; `route` is the matched route pattern (e.g. `/orders/:id`), never
 * the raw URL, so the label's values stay few.
 */
export function recordHttpRequest(method: string, route: string | undefined, status: number, seconds: number): void {
  httpRequestDuration.observe({ method, route: route ?? 'unmatched', status: String(status) }, seconds);
}

/** Prometheus scrape endpoint. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('content-type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
