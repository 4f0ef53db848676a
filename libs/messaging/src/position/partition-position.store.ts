import { EntityManager } from 'typeorm';
import { preparedStatement, queryPrepared } from '../database/prepared-statement';
import { PartitionPosition } from './partition-position';
import { parseProducerSequence, ProducerSequence } from './producer-sequence';

/** Which partition's position, for which consumer group. */
export interface PositionKey {
  consumerGroup: string;
  topic: string;
  partition: number;
}

interface PositionRow {
  next_offset: string | null;
  producer_sequences: Record<string, string>;
}

// Every consumer transaction locks and saves its partition's position: prepared once per connection.
const LOCK_POSITION = preparedStatement(
  `SELECT next_offset, producer_sequences FROM consumer_positions WHERE consumer_group = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
);
const CREATE_POSITION = preparedStatement(
  `INSERT INTO consumer_positions (consumer_group, topic, partition) VALUES ($1, $2, $3) ON CONFLICT (consumer_group, topic, partition) DO NOTHING`,
);
const SAVE_POSITION = preparedStatement(
  `UPDATE consumer_positions SET next_offset = $4, producer_sequences = $5::json, updated_at = now()
   WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
);

/**
 * Reads the partition's position and locks it until the caller's transaction ends. Two instances
 * of one group working on the same partition at once (a rebalance, a zombie) serialise here: the
 * second waits for the first to commit, then reads the position the first stored and applies
 * nothing twice. The row is created the first time the group meets the partition.
 */
export async function lockPartitionPosition(manager: EntityManager, key: PositionKey): Promise<PartitionPosition> {
  const params = [key.consumerGroup, key.topic, key.partition];
  let rows = await queryPrepared<PositionRow>(manager, LOCK_POSITION, params);
  if (rows.length === 0) {
    await queryPrepared(manager, CREATE_POSITION, params);
    rows = await queryPrepared<PositionRow>(manager, LOCK_POSITION, params);
  }
  return toPosition(rows[0]);
}

/** Stores the position in the caller's transaction, which must hold its lock (lockPartitionPosition). */
export async function savePartitionPosition(manager: EntityManager, key: PositionKey, position: PartitionPosition): Promise<void> {
  if (position.nextOffset === undefined) return;
  await queryPrepared(manager, SAVE_POSITION, [
    key.consumerGroup,
    key.topic,
    key.partition,
    position.nextOffset.toString(),
    JSON.stringify(Object.fromEntries(position.sequences)),
  ]);
}

/** One partition's stored position, without a lock (undefined: the group never applied anything there). */
export async function readPartitionPosition(manager: EntityManager, key: PositionKey): Promise<PartitionPosition | undefined> {
  const rows: PositionRow[] = await manager.query(
    `SELECT next_offset, producer_sequences FROM consumer_positions WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
    [key.consumerGroup, key.topic, key.partition],
  );
  return rows.length === 0 ? undefined : toPosition(rows[0]);
}

function toPosition(row: PositionRow): PartitionPosition {
  const sequences = new Map<string, ProducerSequence>();
  for (const [producer, text] of Object.entries(row.producer_sequences ?? {})) {
    const sequence = parseProducerSequence(text);
    if (sequence === undefined) throw new Error(`consumer_positions holds a malformed sequence for producer "${producer}": ${JSON.stringify(text)}`);
    sequences.set(producer, sequence);
  }
  return { nextOffset: row.next_offset === null ? undefined : BigInt(row.next_offset), sequences };
}
