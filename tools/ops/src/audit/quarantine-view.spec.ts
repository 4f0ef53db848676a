import { QuarantinedEvent } from '../quarantine';
import { addQuarantinedRows } from './quarantine-view';
import { OutboxRow, ServiceOutbox } from './snapshot';

const quarantined = (eventId: string | null, key: string): QuarantinedEvent => ({
  schema: 'orders',
  producer: 'wal:orders@1',
  sequence: `000000000000000${key.length}-0000000000000000`,
  eventId,
  eventType: 'order.placed.v1',
  topic: 'relay.orders.v1',
  key,
  reason: 'MESSAGE_TOO_LARGE',
  errorMessage: 'too large',
  sizeBytes: 2_000_000,
  limitBytes: 1_048_588,
  quarantinedAt: '2026-01-01T00:00:10.000Z',
});

function outboxOf(rows: OutboxRow[]): ServiceOutbox {
  const outbox: ServiceOutbox = { schema: 'orders', rows: [], afterSnapshot: new Set(), byEventId: new Map(), byKey: new Map() };
  for (const row of rows) {
    outbox.rows.push(row);
    outbox.byEventId.set(row.eventId, row);
    outbox.byKey.set(row.key, [...(outbox.byKey.get(row.key) ?? []), row]);
  }
  return outbox;
}

describe('addQuarantinedRows', () => {
  it("marks a table outbox's row of a quarantined event, and makes one for a WAL outbox, published when it was passed", () => {
    const tableRow: OutboxRow = { id: '7', eventId: 'e-table', type: 'order.placed.v1', key: 'order-1', createdAt: '2026-01-01T00:00:00.000Z', publishedAt: '2026-01-01T00:00:10.000Z', ageSeconds: 60 };
    const later: OutboxRow = { id: 'wal:x', eventId: 'e-later', type: 'order.cancelled.v1', key: 'order-2', createdAt: '2026-01-01T00:00:20.000Z', publishedAt: '2026-01-01T00:00:20.000Z', ageSeconds: 40 };
    const outbox = outboxOf([tableRow, later]);
    addQuarantinedRows(outbox, [quarantined('e-table', 'order-1'), quarantined('e-wal', 'order-2'), quarantined(null, 'order-3')], Date.parse('2026-01-01T00:01:10.000Z'));

    expect(outbox.rows).toHaveLength(3);
    expect(tableRow.quarantine?.reason).toBe('MESSAGE_TOO_LARGE');
    expect(outbox.byEventId.get('e-wal')).toMatchObject({ type: 'order.placed.v1', key: 'order-2', publishedAt: '2026-01-01T00:00:10.000Z', ageSeconds: 60, quarantine: { eventId: 'e-wal' } });
    // Oldest first per key: the quarantined order.placed before the later cancellation.
    expect(outbox.byKey.get('order-2')!.map((row) => row.eventId)).toEqual(['e-wal', 'e-later']);
    expect(outbox.byKey.has('order-3')).toBe(false);
  });
});
