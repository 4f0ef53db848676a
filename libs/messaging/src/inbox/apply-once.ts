import { DataSource, EntityManager } from 'typeorm';

export interface InboxRecord {
  consumerGroup: string;
  eventId: string;
  eventType: string;
  topic: string;
  partition: number;
  offset: string;
}

export type ApplyOutcome = 'applied' | 'duplicate';

/**
 * Runs `effect` in one transaction with the record that the event was processed. If the event was
 * already processed by this group, the effect does not run. Two instances racing on the same
 * event (a rebalance, a zombie consumer) serialise on the primary key: the second waits for the
 * first to commit and then sees a duplicate.
 */
export async function applyOnce(
  dataSource: DataSource,
  record: InboxRecord,
  effect: (manager: EntityManager) => Promise<void>,
): Promise<ApplyOutcome> {
  return dataSource.transaction(async (manager) => {
    if (!(await claimEvent(manager, record))) return 'duplicate';
    await effect(manager);
    return 'applied';
  });
}

/**
 * Records, in the caller's transaction, that the group processed the event; false if it already
 * had (the caller must then skip the effect). The record commits or rolls back with the effect.
 */
export async function claimEvent(manager: EntityManager, record: InboxRecord): Promise<boolean> {
  const claimed = await claimEvents(manager, record, [record]);
  return claimed.has(record.eventId);
}

/**
 * Records, in the caller's transaction, that the group processed these events of one partition:
 * one statement for all of them. Returns the ids that were new; the caller applies those and skips
 * the rest (already applied by this group, or repeated within `records`).
 */
export async function claimEvents(
  manager: EntityManager,
  where: { consumerGroup: string; topic: string; partition: number },
  records: readonly { eventId: string; eventType: string; offset: string }[],
): Promise<Set<string>> {
  if (records.length === 0) return new Set();
  const inserted: { event_id: string }[] = await manager.query(
    `INSERT INTO processed_events (consumer_group, event_id, event_type, topic, partition, kafka_offset)
     SELECT $1, event_id, event_type, $2, $3, kafka_offset
     FROM unnest($4::uuid[], $5::text[], $6::bigint[]) AS claimed(event_id, event_type, kafka_offset)
     ON CONFLICT (consumer_group, event_id) DO NOTHING
     RETURNING event_id`,
    [
      where.consumerGroup,
      where.topic,
      where.partition,
      records.map((record) => record.eventId),
      records.map((record) => record.eventType),
      records.map((record) => record.offset),
    ],
  );
  return new Set(inserted.map((row) => row.event_id));
}
