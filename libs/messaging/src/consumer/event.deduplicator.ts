import { DataSource, EntityManager } from 'typeorm';
import { ApplyOutcome, claimEvents } from '../inbox/apply-once';

/** The partition of one consumer group that a run of events came from. */
export interface GroupPartition {
  consumerGroup: string;
  topic: string;
  partition: number;
}

/** What the deduplicator needs to know of one event. */
export interface EventToClaim {
  eventId: string;
  eventType: string;
  offset: string;
}

/**
 * Where a group records what it has applied. `claim` runs in the caller's transaction, so the
 * record commits or rolls back with the effect; it returns the ids that were new (the caller applies
 * those and skips the rest). Today this is a row per event (processed_events, via claimEvents); a
 * per-partition position row can replace it behind this interface.
 */
export interface AppliedEventsStore {
  claim(manager: EntityManager, where: GroupPartition, events: readonly EventToClaim[]): Promise<Set<string>>;
}

/** The processed_events table: one row per applied event, one INSERT per claim. */
export const processedEventsStore: AppliedEventsStore = { claim: claimEvents };

/**
 * The dedup stage: Kafka delivers at least once, this makes the effects happen once. A redelivered
 * event (after a crash, a rebalance, a zombie consumer) is found in the store and not applied again.
 */
export class EventDeduplicator {
  constructor(private readonly store: AppliedEventsStore = processedEventsStore) {}

  /**
   * In the caller's transaction, one claim for a run of events of one partition: each is 'applied'
   * (the first copy of a new event; the caller must apply it in this transaction) or 'duplicate'
   * (already applied, or a second copy within the run).
   */
  async sortOut(manager: EntityManager, where: GroupPartition, events: readonly EventToClaim[]): Promise<ApplyOutcome[]> {
    const claimed = await this.store.claim(manager, where, events);
    return events.map((event) => (claimed.delete(event.eventId) ? 'applied' : 'duplicate'));
  }

  /**
   * Runs `effect` in one transaction with the claim of its event, unless the event was already
   * applied. Two instances racing on one event serialise on the claim: the second waits for the
   * first to commit and then sees a duplicate.
   */
  async applyOnce(dataSource: DataSource, where: GroupPartition, event: EventToClaim, effect: (manager: EntityManager) => Promise<void>): Promise<ApplyOutcome> {
    return dataSource.transaction(async (manager) => {
      const [outcome] = await this.sortOut(manager, where, [event]);
      if (outcome === 'applied') await effect(manager);
      return outcome;
    });
  }
}
