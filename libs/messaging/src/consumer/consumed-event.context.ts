import { BaseRpcContext } from '@nestjs/microservices';
import { EntityManager } from 'typeorm';

export interface ConsumedEventMetadata {
  topic: string;
  partition: number;
  offset: string;
  consumerGroup: string;
  /** 1 on first delivery to the handler, 2+ on in-place retries. */
  attempt: number;
}

/**
 * What a handler gets besides the event: where it came from, and the transaction its effect must
 * be written in. Writes made through `manager` commit together with the partition's position (which
 * records that this event was applied), and the offset is committed only after that: the effect happens exactly once.
 */
export class ConsumedEventContext extends BaseRpcContext<[ConsumedEventMetadata, EntityManager]> {
  get metadata(): ConsumedEventMetadata {
    return this.args[0];
  }

  get manager(): EntityManager {
    return this.args[1];
  }
}

export interface ConsumedBatchMetadata {
  topic: string;
  partition: number;
  consumerGroup: string;
  /** 1 when the run came from a chunk; 1+ when the consumer retries one event at a time. */
  attempt: number;
}

/** Per event of a run: where it came from and the trace it continues. */
export interface ConsumedEventOrigin {
  offset: string;
  /** W3C trace context for the work this event causes (a child of the producer's). */
  traceparent?: string;
}

/**
 * What a batch handler (OnEvents) gets besides its run of events: the transaction for all of
 * their effects, and each event's origin. Everything written through `manager` commits with the
 * partition's position past these events, before their offsets are committed.
 */
export class ConsumedBatchContext extends BaseRpcContext<[ConsumedBatchMetadata, EntityManager, ReadonlyMap<string, ConsumedEventOrigin>]> {
  get metadata(): ConsumedBatchMetadata {
    return this.args[0];
  }

  get manager(): EntityManager {
    return this.args[1];
  }

  /** The trace context to put on events caused by this one (pass it to outboxEntry). */
  traceparentOf(event: { eventId: string }): string | undefined {
    return this.args[2].get(event.eventId)?.traceparent;
  }

  offsetOf(event: { eventId: string }): string | undefined {
    return this.args[2].get(event.eventId)?.offset;
  }
}
