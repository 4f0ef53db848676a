import { EntityManager } from 'typeorm';
import { preparedStatement, queryPrepared } from '../database/prepared-statement';

const CLAIM_EVENTS = preparedStatement(
  `INSERT INTO processed_events (consumer_group, event_id, event_type, topic, partition, kafka_offset)
   SELECT $1, event_id, event_type, $2, $3, kafka_offset
   FROM unnest($4::uuid[], $5::text[], $6::bigint[]) AS claimed(event_id, event_type, kafka_offset)
   ON CONFLICT (consumer_group, event_id) DO NOTHING
   RETURNING event_id`,
);

/** What became of an event a group received: its effect applied now, or not (it was applied before). */
export type ApplyOutcome = 'applied' | 'duplicate';

/**
 * Records, in the caller's transaction, that the group processed these events of one partition:
 * one statement for all of them. Returns the ids that were new; the caller applies those and skips
 * the rest (already applied by this group, or repeated within `records`). Only for events published
 * without a producer sequence (before positions): the others are decided by the partition's
 * position (EventDeduplicator).
 */
export async function claimEvents(
  manager: EntityManager,
  where: { consumerGroup: string; topic: string; partition: number },
  records: readonly { eventId: string; eventType: string; offset: string }[],
): Promise<Set<string>> {
  if (records.length === 0) return new Set();
  const inserted = await queryPrepared<{ event_id: string }>(manager, CLAIM_EVENTS, [
    where.consumerGroup,
    where.topic,
    where.partition,
    records.map((record) => record.eventId),
    records.map((record) => record.eventType),
    records.map((record) => record.offset),
  ]);
  return new Set(inserted.map((row) => row.event_id));
}
