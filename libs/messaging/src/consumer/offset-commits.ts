import { PartitionOffset } from '../kafka/driver/kafka-driver';

export type { PartitionOffset } from '../kafka/driver/kafka-driver';

/** Sends one OffsetCommit request (PartitionBatch.commit). */
export type SendOffsetCommit = (offsets: readonly PartitionOffset[]) => Promise<void>;

interface Pending {
  entry: PartitionOffset;
  waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
}

/**
 * Shares OffsetCommit requests between partitions processed side by side. The broker answers the
 * requests of one connection one at a time, each after writing the offsets to its log, so twelve
 * partitions committing on their own wait for each other (tens of ms each under load). Here at most
 * one request is in flight; what partitions ask for meanwhile goes out together in the next one.
 * Each caller's promise settles when a request carrying its offset (or a later one of its
 * partition) is acknowledged, or fails with that request's error: callers still continue only
 * after their offsets are committed.
 */
export class CoalescedOffsetCommits {
  private readonly pending = new Map<string, Pending>();
  private inFlight = false;
  private send: SendOffsetCommit | undefined;

  /** `send` commits through the caller's consumer; the newest one sends what is pending. */
  commit(entry: PartitionOffset, send: SendOffsetCommit): Promise<void> {
    this.send = send;
    return new Promise((resolve, reject) => {
      const key = `${entry.topic}\u0000${entry.partition}`;
      const existing = this.pending.get(key);
      if (existing) {
        // Offsets of one partition only move forward: the later one covers the earlier one.
        if (BigInt(entry.offset) > BigInt(existing.entry.offset)) existing.entry = entry;
        existing.waiters.push({ resolve, reject });
      } else {
        this.pending.set(key, { entry, waiters: [{ resolve, reject }] });
      }
      this.sendPending();
    });
  }

  private sendPending(): void {
    const send = this.send;
    if (this.inFlight || this.pending.size === 0 || send === undefined) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.inFlight = true;
    const settle = (answer: (waiter: Pending['waiters'][number]) => void) => {
      this.inFlight = false;
      for (const { waiters } of batch) waiters.forEach(answer);
      this.sendPending();
    };
    send(batch.map(({ entry }) => entry)).then(
      () => settle((waiter) => waiter.resolve()),
      (error: unknown) => settle((waiter) => waiter.reject(error)),
    );
  }
}
