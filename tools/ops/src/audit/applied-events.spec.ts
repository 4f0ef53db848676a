import { FindingBuilder } from './types';
import { appliedEvents } from './applied-events';
import { GroupBookkeeping } from './snapshot';
import { EventCopy, ScannedTopic } from './topic-scan';

const TOPIC = 'relay.orders.v1';

function scanOf(events: Array<{ eventId: string; type?: string; copies: EventCopy[] }>): ScannedTopic {
  return {
    topic: TOPIC,
    exists: true,
    offsets: [],
    messages: events.reduce((sum, event) => sum + event.copies.length, 0),
    undecodable: new FindingBuilder('undecodable', '', 0),
    misplaced: new Map(),
    events: new Map(
      events.map(({ eventId, type = 'order.placed.v1', copies }) => [
        eventId,
        { eventId, type, orderId: `order-${eventId}`, partition: copies[0].partition, firstOffset: copies[0].offset, lastOffsets: new Map(), copies: copies.length, copiesAt: copies, published: { at: '2026-12-06T00:00:00.000Z' } },
      ]),
    ),
  };
}

const bookkeeping = (positions: Record<number, bigint>, extra: Partial<GroupBookkeeping> = {}): GroupBookkeeping => ({
  positions: new Map(Object.entries(positions).map(([partition, next]) => [`${TOPIC}:${partition}`, next])),
  parked: new Set(),
  appliedById: new Map(),
  ...extra,
});

describe('appliedEvents', () => {
  it('counts the events below the stored position of their partition, and only those', () => {
    const scan = scanOf([
      { eventId: 'e-0', copies: [{ partition: 0, offset: 4n }] },
      { eventId: 'e-1', copies: [{ partition: 0, offset: 5n }] },
      { eventId: 'e-2', copies: [{ partition: 1, offset: 0n }] },
    ]);
    const applied = appliedEvents({ consumes: ['order.placed.v1'], scans: [scan], bookkeeping: bookkeeping({ 0: 5n }) });
    expect([...applied]).toEqual([['e-0', 'order.placed.v1']]);
  });

  it('does not count a message parked and not applied since, nor an event type the group does not apply', () => {
    const scan = scanOf([
      { eventId: 'e-parked', copies: [{ partition: 0, offset: 1n }] },
      { eventId: 'e-other', type: 'stock.released.v1', copies: [{ partition: 0, offset: 2n }] },
    ]);
    const applied = appliedEvents({ consumes: ['order.placed.v1'], scans: [scan], bookkeeping: bookkeeping({ 0: 9n }, { parked: new Set([`${TOPIC}:0:1`]) }) });
    expect(applied.size).toBe(0);
  });

  it('counts a parked event once a copy of it (its replay) was applied', () => {
    const scan = scanOf([
      { eventId: 'e-replayed', copies: [{ partition: 0, offset: 1n }, { partition: 0, offset: 7n }] },
      { eventId: 'e-replay-pending', copies: [{ partition: 0, offset: 2n }, { partition: 0, offset: 9n }] },
    ]);
    const applied = appliedEvents({ consumes: ['order.placed.v1'], scans: [scan], bookkeeping: bookkeeping({ 0: 9n }, { parked: new Set([`${TOPIC}:0:1`, `${TOPIC}:0:2`]) }) });
    expect([...applied.keys()]).toEqual(['e-replayed']);
  });

  it('counts an event applied by id before the upgrade to positions, wherever its partition stands', () => {
    const scan = scanOf([{ eventId: 'e-legacy', copies: [{ partition: 2, offset: 0n }] }]);
    const applied = appliedEvents({ consumes: ['order.placed.v1'], scans: [scan], bookkeeping: bookkeeping({}, { appliedById: new Map([['e-legacy', 'order.placed.v1']]) }) });
    expect([...applied.keys()]).toEqual(['e-legacy']);
  });
});
