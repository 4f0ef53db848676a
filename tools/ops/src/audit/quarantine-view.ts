import { QuarantinedEvent } from '../quarantine';
import { OutboxRow, ServiceOutbox } from './snapshot';

const ageSeconds = (since: string, now: number) => Math.max(0, Math.round((now - Date.parse(since)) / 100) / 10);

/**
 * Marks the outbox rows of events their relay quarantined (OutboxRow.quarantine). A table outbox
 * holds the row (stamped as passed); a WAL outbox's view has none (the event is on no topic and no
 * longer in the slot), so one is made from the quarantine, published at the time it was passed:
 * the order then has its event, which the other checks see as quarantined, not as missing, and
 * check 1 reports it once.
 */
export function addQuarantinedRows(outbox: ServiceOutbox, events: readonly QuarantinedEvent[], now = Date.now()): void {
  for (const event of events) {
    if (event.eventId === null) continue;
    const existing = outbox.byEventId.get(event.eventId);
    if (existing) {
      existing.quarantine = event;
      continue;
    }
    const row: OutboxRow = {
      id: `quarantine:${event.sequence}`,
      eventId: event.eventId,
      type: event.eventType ?? 'unknown',
      key: event.key ?? '',
      createdAt: event.quarantinedAt,
      publishedAt: event.quarantinedAt,
      ageSeconds: ageSeconds(event.quarantinedAt, now),
      quarantine: event,
    };
    outbox.rows.push(row);
    outbox.byEventId.set(row.eventId, row);
    const forKey = outbox.byKey.get(row.key) ?? [];
    forKey.push(row);
    forKey.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    outbox.byKey.set(row.key, forKey);
  }
}
