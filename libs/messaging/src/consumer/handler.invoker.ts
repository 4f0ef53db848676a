import { MessageHandler } from '@nestjs/microservices';
import { ConsumedRecord } from '../kafka/driver/kafka-driver';
import { lastValueFrom, Observable } from 'rxjs';
import { EntityManager } from 'typeorm';
import { AnyEventContract, EventEnvelope } from '@relay/contracts';
import { startWorkSpan, tracingEnabled, WorkContext, WorkSpan } from '@relay/service-runtime';
import { ConsumedBatchContext, ConsumedEventContext, ConsumedEventOrigin } from './consumed-event.context';
import { BATCH_HANDLER_EXTRA } from './on-event.decorator';
import { GroupPartition } from './event.deduplicator';

/** Whether a handler was registered with OnEvents (takes runs of events) rather than OnEvent. */
export const isBatchHandler = (handler: MessageHandler) => (handler.extras as Record<string, unknown> | undefined)?.[BATCH_HANDLER_EXTRA] === true;

/** Where the events being handled came from, and which try this is (1 on first delivery). */
export interface InvocationSite extends GroupPartition {
  offset: string;
  attempt: number;
}

/** Nest's conversion of whatever a handler returns (value, promise, observable) into an observable. */
export type ToObservable = (result: unknown) => Observable<unknown>;

/**
 * The handling stage: calls a Nest handler with its events and the transaction their effects go
 * in, and waits for it, so that an error (thrown, rejected or emitted) reaches the caller's failure
 * policy. A batch handler (OnEvents) gets the whole run in one call; any other handler gets each
 * event in turn, each with its own offset.
 */
export class HandlerInvoker {
  constructor(private readonly toObservable: ToObservable) {}

  async invoke(handler: MessageHandler, envelopes: EventEnvelope[], where: InvocationSite, manager: EntityManager, origins: ReadonlyMap<string, ConsumedEventOrigin>): Promise<void> {
    if (isBatchHandler(handler)) {
      const context = new ConsumedBatchContext([{ topic: where.topic, partition: where.partition, consumerGroup: where.consumerGroup, attempt: where.attempt }, manager, origins]);
      await lastValueFrom(this.toObservable(handler(envelopes, context)), { defaultValue: undefined });
      return;
    }
    for (const envelope of envelopes) {
      const offset = origins.get(envelope.eventId)?.offset ?? where.offset;
      const context = new ConsumedEventContext([{ ...where, offset }, manager]);
      await lastValueFrom(this.toObservable(handler(envelope, context)), { defaultValue: undefined });
    }
  }
}

/**
 * Cuts the events to apply (in partition order) into calls: consecutive events of one batch handler
 * are one run; an event of any other handler is a run of its own.
 */
export function runsOf<T extends { handler: MessageHandler }>(items: readonly T[]): T[][] {
  const runs: T[][] = [];
  for (let start = 0; start < items.length; ) {
    let end = start + 1;
    if (isBatchHandler(items[start].handler)) {
      while (end < items.length && items[end].handler === items[start].handler) end++;
    }
    runs.push(items.slice(start, end));
    start = end;
  }
  return runs;
}

/**
 * Starts the span of consuming and applying one event (a child of its producer's trace context),
 * ended by the caller once the effect has committed or failed.
 */
export function startEventSpan(where: GroupPartition, event: { message: ConsumedRecord; contract: AnyEventContract; envelope: EventEnvelope }): WorkSpan {
  const { message, contract, envelope } = event;
  const parent = message.headers?.traceparent?.toString();
  if (!tracingEnabled()) return startWorkSpan({ name: 'process', kind: 'consumer', parent });
  return startWorkSpan({
    name: `process ${contract.pattern}`,
    kind: 'consumer',
    parent,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': where.topic,
      'messaging.destination.partition.id': String(where.partition),
      'messaging.kafka.offset': Number(message.offset),
      'messaging.consumer.group.name': where.consumerGroup,
      'messaging.message.id': envelope.eventId,
      'relay.event_type': contract.pattern,
      'relay.correlation_id': envelope.correlationId,
    },
  });
}

/** An event's origin for its handler: its offset, and the trace context of its consumption. */
export function originOf(message: ConsumedRecord, span: WorkSpan): ConsumedEventOrigin {
  return { offset: message.offset, traceparent: span.traceparent };
}

/** The work context (logs, traces, outbox entries) of handling an event, or a run starting with it. */
export function eventWorkContext(
  where: GroupPartition,
  event: { message: ConsumedRecord; contract: AnyEventContract; envelope: EventEnvelope },
  traceparent: string | undefined,
): WorkContext {
  const { message, contract, envelope } = event;
  return { correlationId: envelope.correlationId, traceparent, eventId: envelope.eventId, eventType: contract.pattern, consumerGroup: where.consumerGroup, topic: where.topic, partition: where.partition, offset: message.offset };
}
