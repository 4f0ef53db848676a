import { MessageHandler, Server } from '@nestjs/microservices';
import { KafkaMessage } from 'kafkajs';
import { Observable, of, throwError } from 'rxjs';
import { EntityManager } from 'typeorm';
import { anOrderPlacedV1, EventEnvelope, OrderPlacedV1 } from '@relay/contracts';
import { ConsumedBatchContext, ConsumedEventContext, ConsumedEventOrigin } from './consumed-event.context';
import { BATCH_HANDLER_EXTRA } from './on-event.decorator';
import { eventWorkContext, HandlerInvoker, isBatchHandler, originOf, runsOf, startEventSpan } from './handler.invoker';

/** Nest's own conversion of a handler's result (it does not use `this`), as the server passes it. */
const toObservable = (result: unknown): Observable<unknown> => Server.prototype.transformToObservable.call(undefined, result);

/** A handler recording its calls; `result` makes what it returns (a promise of a value or of an observable). */
function handlerOf(batch: boolean, result: () => unknown = () => undefined) {
  const calls: { input: unknown; context: unknown }[] = [];
  const handler = (async (input: unknown, context: unknown) => {
    calls.push({ input, context });
    return result();
  }) as MessageHandler;
  if (batch) handler.extras = { [BATCH_HANDLER_EXTRA]: true };
  return { handler, calls };
}

const manager = {} as EntityManager;
const where = { topic: 'relay.orders.v1', partition: 4, offset: '100', attempt: 2, consumerGroup: 'inventory' };

describe('HandlerInvoker', () => {
  const invoker = new HandlerInvoker(toObservable);
  const events: EventEnvelope[] = [anOrderPlacedV1(), anOrderPlacedV1()];
  const origins = new Map<string, ConsumedEventOrigin>([
    [events[0].eventId, { offset: '100', traceparent: 'tp-0' }],
    [events[1].eventId, { offset: '101', traceparent: 'tp-1' }],
  ]);

  it('calls a batch handler once with the whole run and a batch context', async () => {
    const { handler, calls } = handlerOf(true);
    await invoker.invoke(handler, events, where, manager, origins);
    expect(calls).toHaveLength(1);
    expect(calls[0].input).toBe(events);
    const context = calls[0].context as ConsumedBatchContext;
    expect(context).toBeInstanceOf(ConsumedBatchContext);
    expect(context.metadata).toEqual({ topic: 'relay.orders.v1', partition: 4, consumerGroup: 'inventory', attempt: 2 });
    expect(context.manager).toBe(manager);
    expect(context.offsetOf(events[1])).toBe('101');
    expect(context.traceparentOf(events[1])).toBe('tp-1');
  });

  it('calls any other handler once per event, in order, each with its own offset', async () => {
    const { handler, calls } = handlerOf(false);
    await invoker.invoke(handler, events, where, manager, origins);
    expect(calls.map((call) => call.input)).toEqual(events);
    const contexts = calls.map((call) => call.context as ConsumedEventContext);
    expect(contexts.every((context) => context instanceof ConsumedEventContext && context.manager === manager)).toBe(true);
    expect(contexts.map((context) => context.metadata)).toEqual([
      { ...where, offset: '100' },
      { ...where, offset: '101' },
    ]);
  });

  it('falls back to the site offset for an event without an origin', async () => {
    const { handler, calls } = handlerOf(false);
    await invoker.invoke(handler, [events[0]], where, manager, new Map());
    expect((calls[0].context as ConsumedEventContext).metadata.offset).toBe('100');
  });

  it('waits for the observable a handler returns', async () => {
    let done = false;
    const { handler } = handlerOf(false, () => new Observable((subscriber) => void setTimeout(() => ((done = true), subscriber.next(1), subscriber.complete()), 5)));
    await invoker.invoke(handler, [events[0]], where, manager, origins);
    expect(done).toBe(true);
  });

  it('passes a handler error on unchanged, thrown or emitted, and stops at the failing event', async () => {
    const thrown = new Error('stock level would go negative');
    const { handler, calls } = handlerOf(false, () => {
      throw thrown;
    });
    await expect(invoker.invoke(handler, events, where, manager, origins)).rejects.toBe(thrown);
    expect(calls).toHaveLength(1);
    const emitted = handlerOf(true, () => throwError(() => thrown));
    await expect(invoker.invoke(emitted.handler, events, where, manager, origins)).rejects.toBe(thrown);
    await expect(invoker.invoke(handlerOf(false, () => of('ignored')).handler, events, where, manager, origins)).resolves.toBeUndefined();
  });
});

describe('runsOf', () => {
  it('puts consecutive events of one batch handler in one run and every other event in a run of its own', () => {
    const batchA = handlerOf(true).handler;
    const batchB = handlerOf(true).handler;
    const single = handlerOf(false).handler;
    const items = [batchA, batchA, single, single, batchA, batchB, batchB, batchA].map((handler, index) => ({ handler, index }));
    expect(runsOf(items).map((run) => run.map((item) => item.index))).toEqual([[0, 1], [2], [3], [4], [5, 6], [7]]);
    expect(runsOf([])).toEqual([]);
    expect(isBatchHandler(batchA)).toBe(true);
    expect(isBatchHandler(single)).toBe(false);
  });
});

describe('work context and origin of an event', () => {
  const message: KafkaMessage = {
    key: null,
    value: null,
    offset: '42',
    timestamp: '0',
    attributes: 0,
    headers: { traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01') },
  };

  it('continues the producer trace in a new span', () => {
    const where = { consumerGroup: 'inventory', topic: 'relay.orders.v1', partition: 1 };
    const event = { message, contract: OrderPlacedV1, envelope: anOrderPlacedV1() };
    const origin = originOf(message, startEventSpan(where, event));
    expect(origin.offset).toBe('42');
    expect(origin.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(origin.traceparent).not.toContain('b7ad6b7169203331');
    expect(startEventSpan(where, { ...event, message: { ...message, headers: {} } }).traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('names the event, its group and where it came from', () => {
    const envelope = anOrderPlacedV1();
    expect(eventWorkContext({ consumerGroup: 'inventory', topic: 'relay.orders.v1', partition: 1 }, { message, contract: OrderPlacedV1, envelope }, 'tp')).toEqual({
      correlationId: envelope.correlationId,
      traceparent: 'tp',
      eventId: envelope.eventId,
      eventType: 'order.placed.v1',
      consumerGroup: 'inventory',
      topic: 'relay.orders.v1',
      partition: 1,
      offset: '42',
    });
  });
});
