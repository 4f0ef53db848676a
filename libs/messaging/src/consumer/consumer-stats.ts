/** Counters of what this instance's consumer did since it started. */
export class ConsumerStats {
  /** Events whose effect was applied (committed with their partition's position). */
  applied = 0;
  /** Redelivered or republished events recognised (by position, sequence or id) and not applied again. */
  duplicates = 0;
  /** Known events no handler of this group subscribes to. */
  skipped = 0;
  /** Handler failures that were retried in place. */
  retried = 0;
  /** Messages parked on the dead-letter topic (poison, or out of retries). */
  deadLettered = 0;
  /** Partitions sought to their stored position on assignment (it was ahead of the committed offset). */
  seeks = 0;
  /** Whether the consumer is in its group now. */
  joined = false;
  /** Whether it has joined its group at least once since the process started (readiness). */
  joinedOnce = false;
  /** The partitions this instance owns since the last rebalance, per topic. */
  assignment: Record<string, number[]> = {};

  snapshot() {
    return { applied: this.applied, duplicates: this.duplicates, skipped: this.skipped, retried: this.retried, deadLettered: this.deadLettered, seeks: this.seeks };
  }
}
