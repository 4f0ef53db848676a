import { DataSource, EntityManager } from 'typeorm';
import { preparedStatement, queryPrepared } from '../database/prepared-statement';
import { ApplyOutcome, claimEvents } from '../inbox/processed-events.claim';
import { admit, PartitionPosition } from '../position/partition-position';
import { lockPartitionPosition, savePartitionPosition } from '../position/partition-position.store';
import { EventProvenance, formatMessagePosition, MessagePosition } from './event-provenance';

/** The partition of one consumer group that a run of events came from. */
export interface GroupPartition {
  consumerGroup: string;
  topic: string;
  partition: number;
}

/** What the deduplicator needs to know of one event. */
export interface EventToClaim extends EventProvenance {
  eventId: string;
  eventType: string;
  offset: string;
}

/**
 * Where a group records what it has applied, in the caller's transaction, so the record commits or
 * rolls back with the effect.
 */
export interface AppliedEventsStore {
  /** The partition's position, locked until the transaction ends (instances of a group serialise here). */
  lockPosition(manager: EntityManager, where: GroupPartition): Promise<PartitionPosition>;
  savePosition(manager: EntityManager, where: GroupPartition, position: PartitionPosition): Promise<void>;
  /**
   * Consumes the parking records of these originals (a replay is applied by consuming its original's
   * record); returns those consumed now, as `topic:partition:offset`.
   */
  claimParked(manager: EntityManager, consumerGroup: string, originals: readonly MessagePosition[]): Promise<Set<string>>;
  /** Records that the group parked this message (and, for a replay parked again, drops its original's record). */
  recordParked(manager: EntityManager, where: GroupPartition, parked: { offset: string; eventId: string | null; replayOf?: MessagePosition | null }): Promise<void>;
  /** Claims events published without a sequence by event id; returns the ids that were new. */
  claimUnsequenced(manager: EntityManager, where: GroupPartition, events: readonly EventToClaim[]): Promise<Set<string>>;
}

// Dead-letter replays and parking are rare, but their statements have fixed text: prepared like the rest.
const CLAIM_PARKED = preparedStatement(
  `WITH claimed AS (
     DELETE FROM parked_events p USING unnest($2::text[], $3::int[], $4::bigint[]) AS original(topic, partition, kafka_offset)
     WHERE p.consumer_group = $1 AND p.topic = original.topic AND p.partition = original.partition AND p.kafka_offset = original.kafka_offset
     RETURNING p.topic, p.partition, p.kafka_offset)
   SELECT topic, partition, kafka_offset::text AS kafka_offset FROM claimed`,
);
const RECORD_PARKED = preparedStatement(
  `INSERT INTO parked_events (consumer_group, topic, partition, kafka_offset, event_id) VALUES ($1, $2, $3, $4, $5)
   ON CONFLICT (consumer_group, topic, partition, kafka_offset) DO NOTHING`,
);

/** Deletes the parking records of these originals; returns those deleted now, as `topic:partition:offset`. */
async function claimParkedEvents(manager: EntityManager, consumerGroup: string, originals: readonly MessagePosition[]): Promise<Set<string>> {
  if (originals.length === 0) return new Set();
  const claimed = await queryPrepared<{ topic: string; partition: number; kafka_offset: string }>(manager, CLAIM_PARKED, [
    consumerGroup,
    originals.map((original) => original.topic),
    originals.map((original) => original.partition),
    originals.map((original) => original.offset),
  ]);
  return new Set(claimed.map((row) => formatMessagePosition({ topic: row.topic, partition: row.partition, offset: row.kafka_offset })));
}

/** The service's own schema: consumer_positions, parked_events, processed_events. */
export const postgresAppliedEventsStore: AppliedEventsStore = {
  lockPosition: lockPartitionPosition,
  savePosition: savePartitionPosition,
  claimParked: claimParkedEvents,
  async recordParked(manager, where, parked) {
    if (parked.replayOf) await claimParkedEvents(manager, where.consumerGroup, [parked.replayOf]);
    await queryPrepared(manager, RECORD_PARKED, [where.consumerGroup, where.topic, where.partition, parked.offset, parked.eventId]);
  },
  claimUnsequenced: claimEvents,
};

/**
 * The dedup stage: Kafka delivers at least once, this makes the effects happen once, with
 * bookkeeping per partition rather than per event (position/partition-position.ts):
 * - an offset below the partition's stored position was applied (or parked) already: a redelivery
 *   after a crash, a rebalance, a zombie;
 * - a sequence not above its producer's highest applied one is a second copy a relay published
 *   after a crash between Kafka's ack and its own confirm;
 * - a dead-letter replay is applied only by consuming the group's parking record of its original:
 *   replayed twice, the second finds none; a group that applied the original has none;
 * - an event without a sequence (published before the upgrade to positions, or by a producer that
 *   does not sequence) is claimed by its event id in processed_events, as before.
 */
export class EventDeduplicator {
  constructor(private readonly store: AppliedEventsStore = postgresAppliedEventsStore) {}

  /**
   * In the caller's transaction, one decision for a run of events of one partition, in offset
   * order: each is 'applied' (new: the caller must apply it in this transaction) or 'duplicate'.
   * Stores the partition's new position; it commits with the effects.
   */
  async sortOut(manager: EntityManager, where: GroupPartition, events: readonly EventToClaim[]): Promise<ApplyOutcome[]> {
    if (events.length === 0) return [];
    const position = await this.store.lockPosition(manager, where);
    const admitted = admit(
      position,
      events.map((event) => ({ offset: BigInt(event.offset), producer: event.producer, sequence: event.sequence })),
    );
    const outcomes = admitted.admissions.map((admission): ApplyOutcome => (admission === 'apply' ? 'applied' : 'duplicate'));

    const replays: { index: number; original: MessagePosition }[] = [];
    const unsequenced: { index: number; event: EventToClaim }[] = [];
    events.forEach((event, index) => {
      if (outcomes[index] !== 'applied') return;
      if (event.replayOf !== undefined) {
        // Only a replay into the topic its original came from can claim it (ops replay sends it nowhere else).
        if (event.replayOf !== null && event.replayOf.topic === where.topic) replays.push({ index, original: event.replayOf });
        else outcomes[index] = 'duplicate';
      } else if (event.sequence === undefined) {
        unsequenced.push({ index, event });
      }
    });
    if (replays.length > 0) {
      const claimed = await this.store.claimParked(manager, where.consumerGroup, replays.map((replay) => replay.original));
      for (const replay of replays) if (!claimed.delete(formatMessagePosition(replay.original))) outcomes[replay.index] = 'duplicate';
    }
    if (unsequenced.length > 0) {
      const claimed = await this.store.claimUnsequenced(manager, where, unsequenced.map((entry) => entry.event));
      for (const entry of unsequenced) if (!claimed.delete(entry.event.eventId)) outcomes[entry.index] = 'duplicate';
    }
    if (admitted.position.nextOffset !== position.nextOffset || admitted.position.sequences !== position.sequences) {
      await this.store.savePosition(manager, where, admitted.position);
    }
    return outcomes;
  }

  /**
   * Moves the partition's position past a message that was just parked on the dead-letter topic,
   * with a record of it that a replay can claim, in one transaction. A crash before it re-parks the
   * message (a second dead-letter record, as before); after it, the message is never parked again.
   */
  async recordParked(dataSource: DataSource, where: GroupPartition, parked: { offset: string; eventId: string | null } & EventProvenance): Promise<void> {
    await dataSource.transaction(async (manager) => {
      const position = await this.store.lockPosition(manager, where);
      const admitted = admit(position, [{ offset: BigInt(parked.offset), producer: parked.producer, sequence: parked.sequence }]);
      if (admitted.admissions[0] !== 'apply') return;
      await this.store.recordParked(manager, where, parked);
      await this.store.savePosition(manager, where, admitted.position);
    });
  }

  /**
   * Runs `effect` in one transaction with the claim of its event, unless the event was already
   * applied. Two instances racing on one event serialise on the partition's position: the second
   * waits for the first to commit and then sees a duplicate.
   */
  async applyOnce(dataSource: DataSource, where: GroupPartition, event: EventToClaim, effect: (manager: EntityManager) => Promise<void>): Promise<ApplyOutcome> {
    return dataSource.transaction(async (manager) => {
      const [outcome] = await this.sortOut(manager, where, [event]);
      if (outcome === 'applied') await effect(manager);
      return outcome;
    });
  }
}
