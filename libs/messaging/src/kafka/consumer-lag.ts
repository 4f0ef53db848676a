import { PartitionLag } from './driver/kafka-driver';

export type { PartitionLag } from './driver/kafka-driver';

/** What a client reads of one partition to tell a group's lag there: offsets as decimal text (int64). */
export interface PartitionOffsets {
  topic: string;
  partition: number;
  /** The group's next offset to read; negative (-1) when it committed none. */
  committedOffset: string;
  /** The log's first offset (what a group with no commit starts from) and its end (the next offset written). */
  logStart: string;
  logEnd: string;
}

/**
 * Lag of a group in one partition: the log's end minus the committed offset, or minus the log's
 * first offset when the group committed nothing (it would start there: Relay's consumers read a
 * new partition from its beginning).
 */
export function partitionLag({ topic, partition, committedOffset, logStart, logEnd }: PartitionOffsets): PartitionLag {
  const from = BigInt(committedOffset) < 0n ? BigInt(logStart) : BigInt(committedOffset);
  return { topic, partition, committedOffset: BigInt(committedOffset) < 0n ? '-1' : committedOffset, endOffset: logEnd, lag: (BigInt(logEnd) - from).toString() };
}
