import { ConsumedRecord, OutgoingRecord, RecordHeaders } from '../kafka/driver/kafka-driver';

/** Headers a dead-letter record carries besides the original ones: where it came from and why. */
export const DeadLetterHeaders = {
  originalTopic: 'x-dlq-original-topic',
  originalPartition: 'x-dlq-original-partition',
  originalOffset: 'x-dlq-original-offset',
  consumerGroup: 'x-dlq-consumer-group',
  errorClass: 'x-dlq-error-class',
  errorMessage: 'x-dlq-error-message',
  attempts: 'x-dlq-attempts',
  firstFailureAt: 'x-dlq-first-failure-at',
  lastFailureAt: 'x-dlq-last-failure-at',
} as const;

export interface DeadLetterFailure {
  sourceTopic: string;
  partition: number;
  consumerGroup: string;
  errorClass: string;
  errorMessage: string;
  attempts: number;
  firstFailureAt: Date;
  lastFailureAt: Date;
}

/** The dead-letter record keeps the original key, value and headers, plus provenance headers. */
export function toDeadLetterMessage(original: ConsumedRecord, failure: DeadLetterFailure): OutgoingRecord {
  const headers: RecordHeaders = { ...(original.headers ?? {}) };
  headers[DeadLetterHeaders.originalTopic] = failure.sourceTopic;
  headers[DeadLetterHeaders.originalPartition] = String(failure.partition);
  headers[DeadLetterHeaders.originalOffset] = original.offset;
  headers[DeadLetterHeaders.consumerGroup] = failure.consumerGroup;
  headers[DeadLetterHeaders.errorClass] = failure.errorClass;
  // Error messages can quote the poison bytes themselves; headers stay printable text.
  headers[DeadLetterHeaders.errorMessage] = failure.errorMessage.replace(/[^\x20-\x7e\u00a0-\uffff]/g, '?').slice(0, 2_000);
  headers[DeadLetterHeaders.attempts] = String(failure.attempts);
  headers[DeadLetterHeaders.firstFailureAt] = failure.firstFailureAt.toISOString();
  headers[DeadLetterHeaders.lastFailureAt] = failure.lastFailureAt.toISOString();
  return { key: original.key, value: original.value, headers };
}
