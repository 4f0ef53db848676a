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
    const inserted: unknown[] = await manager.query(
      `INSERT INTO processed_events (consumer_group, event_id, event_type, topic, partition, kafka_offset)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (consumer_group, event_id) DO NOTHING
       RETURNING event_id`,
      [record.consumerGroup, record.eventId, record.eventType, record.topic, record.partition, record.offset],
    );
    if (inserted.length === 0) return 'duplicate';
    await effect(manager);
    return 'applied';
  });
}
