import { DataSource, EntityManager } from 'typeorm';
import { EventContract, EventEnvelope } from '@relay/contracts';
import { z } from 'zod';
import { appendEventsToOutboxTable, OutboxEntry, outboxEntry } from './outbox-writer';
import { appendEventsToWalOutbox } from './wal-outbox.writer';

/** The data sources whose events go to the WAL (their slot exists: see OutboxPublisher). */
const walOutboxDataSources = new WeakSet<DataSource>();

/**
 * From now on, events written through this data source go to the WAL outbox. Call it only once the
 * schema's replication slot exists: a slot sees only what commits after it was created.
 */
export function writeOutboxToWal(dataSource: DataSource): void {
  walOutboxDataSources.add(dataSource);
}

/**
 * Appends events to the service's outbox inside the caller's transaction, so they exist if and only
 * if the change they describe commits, in the order given: to the WAL when the service's publisher
 * chose it at start-up (writeOutboxToWal), to the outbox table otherwise.
 */
export async function appendEventsToOutbox(manager: EntityManager, entries: readonly OutboxEntry[]): Promise<void> {
  if (walOutboxDataSources.has(manager.connection)) await appendEventsToWalOutbox(manager, entries);
  else await appendEventsToOutboxTable(manager, entries);
}

/** Appends one event to the outbox inside the caller's transaction (see appendEventsToOutbox). */
export async function appendToOutbox<TType extends string, TVersion extends number, TSchema extends z.ZodType>(
  manager: EntityManager,
  contract: EventContract<TType, TVersion, TSchema>,
  envelope: EventEnvelope<TType, TVersion, z.infer<TSchema>>,
): Promise<void> {
  await appendEventsToOutbox(manager, [outboxEntry(contract, envelope)]);
}
