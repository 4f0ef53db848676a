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
 * be written in. Writes made through `manager` commit together with the record that this event was
 * processed, and the offset is committed only after that: the effect happens exactly once.
 */
export class ConsumedEventContext extends BaseRpcContext<[ConsumedEventMetadata, EntityManager]> {
  get metadata(): ConsumedEventMetadata {
    return this.args[0];
  }

  get manager(): EntityManager {
    return this.args[1];
  }
}
