import { LoggerService } from '@nestjs/common';
import { deadLetterTopicFor } from '@relay/contracts';
import { DeadLetterFailure, toDeadLetterMessage } from './dead-letter';
import { GivenUp } from './event.retrier';
import { PoisonMessage } from './message.decoder';
import { ConsumedRecord, RecordProducer } from '../kafka/driver/kafka-driver';

/** What the parker needs of a Kafka producer (the consumer server's own, once connected): sends that resolve once every in-sync replica has the record. */
export type DeadLetterProducer = Pick<RecordProducer, 'send'>;

/** Why a message is parked, besides where it came from. */
export type ParkingReason = Omit<DeadLetterFailure, 'sourceTopic' | 'partition' | 'consumerGroup'>;

/**
 * The dead-letter stage: puts a message on `<topic>.dlq.<group>` with its original key, value and
 * headers plus provenance headers (see toDeadLetterMessage), so the partition can move on. It
 * resolves only once every in-sync replica has the record (acks -1): the caller commits the source
 * offset after that, so a parked message is never lost between the two topics. It throws if the
 * producer is not connected or the send fails; the offset then stays uncommitted.
 */
export class DeadLetterParker {
  constructor(
    private readonly consumerGroup: string,
    private readonly producer: () => DeadLetterProducer | null,
    private readonly logger: Pick<LoggerService, 'warn'>,
  ) {}

  async park(topic: string, partition: number, message: ConsumedRecord, why: ParkingReason): Promise<void> {
    const producer = this.producer();
    if (!producer) throw new Error('dead-letter producer is not connected');
    const consumerGroup = this.consumerGroup;
    await producer.send(deadLetterTopicFor(topic, consumerGroup), [toDeadLetterMessage(message, { sourceTopic: topic, partition, consumerGroup, ...why })]);
  }

  /** A message that cannot be decoded: parked at once, as one attempt, without retries. */
  async parkPoison(topic: string, partition: number, poison: PoisonMessage): Promise<void> {
    const now = new Date();
    this.logger.warn(`poison message at ${topic}[${partition}]@${poison.message.offset} (${poison.reason}): ${poison.detail}; parking it`);
    await this.park(topic, partition, poison.message, { errorClass: `PoisonMessage:${poison.reason}`, errorMessage: poison.detail, attempts: 1, firstFailureAt: now, lastFailureAt: now });
  }

  /** An event the retry stage gave up on (it has logged why): its last failure is now. */
  async parkFailure(topic: string, partition: number, message: ConsumedRecord, givenUp: GivenUp): Promise<void> {
    const { errorClass, reason, attempts, firstFailureAt } = givenUp;
    await this.park(topic, partition, message, { errorClass, errorMessage: reason, attempts, firstFailureAt, lastFailureAt: new Date() });
  }
}
