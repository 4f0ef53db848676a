import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What a unit of work is about, for logs and for the events it raises: set per HTTP request and
 * per consumed event, read by the logger (every line carries it) and by the outbox writer (every
 * event raised carries the correlation id and trace context on).
 */
export interface WorkContext {
  correlationId: string;
  /** W3C trace context of this unit of work (a child of the caller's, when there was one). */
  traceparent?: string;
  eventId?: string;
  eventType?: string;
  consumerGroup?: string;
  topic?: string;
  partition?: number;
  offset?: string;
}

const storage = new AsyncLocalStorage<WorkContext>();

export function currentWorkContext(): WorkContext | undefined {
  return storage.getStore();
}

export function runInWorkContext<T>(context: WorkContext, work: () => T): T {
  return storage.run(context, work);
}
