import { FindingBuilder } from './types';
import { ServiceOutbox } from './snapshot';
import { ScannedTopic, TopicEvent } from './topic-scan';
import { addWalOutboxRows, parseXidSnapshot, visibleInSnapshot } from './wal-outbox-view';

describe('visibleInSnapshot', () => {
  const snapshot = parseXidSnapshot('4294967390:4294967400:4294967395,4294967397');
  const low32 = (xid: bigint) => Number(xid & 0xffffffffn);

  it('sees what ended before xmin and what is below xmax and not running, by the 32-bit id logical decoding gives', () => {
    expect(visibleInSnapshot(low32(4294967380n), snapshot)).toBe(true);
    expect(visibleInSnapshot(low32(4294967394n), snapshot)).toBe(true);
    expect(visibleInSnapshot(low32(4294967395n), snapshot)).toBe(false);
    expect(visibleInSnapshot(low32(4294967397n), snapshot)).toBe(false);
    expect(visibleInSnapshot(low32(4294967400n), snapshot)).toBe(false);
    expect(visibleInSnapshot(low32(4294967420n), snapshot)).toBe(false);
  });

  it('places an id in the epoch nearest to xmax, either side of a wrap', () => {
    // 0xFFFFFFF0 of epoch 0 is older than xmin (epoch 1): visible.
    expect(visibleInSnapshot(0xfffffff0, snapshot)).toBe(true);
    // Just below a wrap, a transaction of the next epoch is after the snapshot.
    const beforeWrap = parseXidSnapshot('4294967200:4294967290:');
    expect(visibleInSnapshot(5, beforeWrap)).toBe(false);
    expect(visibleInSnapshot(0xffffff00, beforeWrap)).toBe(true);
  });

  it('reads an empty list of running transactions', () => {
    expect(parseXidSnapshot('750:750:')).toEqual({ xmin: 750n, xmax: 750n, running: new Set() });
  });
});

describe('addWalOutboxRows', () => {
  const snapshot = parseXidSnapshot('100:110:105');
  const producerId = 'wal:orders@1';
  const event = (eventId: string, xid: number | undefined, producer = producerId): TopicEvent => ({
    eventId,
    type: 'order.placed.v1',
    orderId: `order-${eventId}`,
    partition: 0,
    firstOffset: 0n,
    lastOffsets: new Map(),
    copies: 1,
    copiesAt: [{ partition: 0, offset: 0n }],
    published: { producer, xid, sequence: `00000000000000aa-0000000${eventId.length}`, at: '2026-12-06T10:00:00.000Z' },
  });
  const scan = (events: TopicEvent[]): ScannedTopic => ({
    topic: 'relay.orders.v1',
    exists: true,
    offsets: [],
    messages: events.length,
    events: new Map(events.map((each) => [each.eventId, each])),
    undecodable: new FindingBuilder('undecodable', '', 0),
    misplaced: new Map(),
  });
  const emptyOutbox = (): ServiceOutbox => ({ schema: 'orders', rows: [], afterSnapshot: new Set(), byEventId: new Map(), byKey: new Map() });

  it('takes the published events of transactions the snapshot sees, notes the later ones, and ignores other producers', () => {
    const outbox = emptyOutbox();
    addWalOutboxRows(outbox, { producerId, pending: [] }, scan([event('seen', 101), event('running', 105), event('later', 112), event('other', 101, 'wal:orders@2')]), snapshot);
    expect(outbox.rows.map((row) => [row.eventId, row.publishedAt])).toEqual([['seen', '2026-12-06T10:00:00.000Z']]);
    expect([...outbox.afterSnapshot]).toEqual(['running', 'later']);
    expect(outbox.byKey.get('order-seen')).toHaveLength(1);
  });

  it('adds what the slot holds unconfirmed as unpublished, unless a copy is already on the topic', () => {
    const outbox = emptyOutbox();
    const pending = (eventId: string) => ({
      sequence: { commitLsn: 0xabn, index: 0 },
      xid: 102,
      committedAt: new Date('2026-12-06T10:00:01.000Z'),
      topic: 'relay.orders.v1',
      key: `order-${eventId}`,
      headers: {},
      value: Buffer.from(JSON.stringify({ eventId, type: 'order.placed', version: 1 })),
    });
    addWalOutboxRows(outbox, { producerId, pending: [pending('acked'), pending('waiting')] }, scan([event('acked', 102)]), snapshot, Date.parse('2026-12-06T10:00:11.000Z'));
    expect(outbox.rows.map((row) => ({ id: row.id, eventId: row.eventId, type: row.type, publishedAt: row.publishedAt, ageSeconds: row.ageSeconds }))).toEqual([
      { id: 'wal:00000000000000aa-00000005', eventId: 'acked', type: 'order.placed.v1', publishedAt: '2026-12-06T10:00:00.000Z', ageSeconds: 11 },
      { id: 'wal:00000000000000ab-0000000000000000', eventId: 'waiting', type: 'order.placed.v1', publishedAt: null, ageSeconds: 10 },
    ]);
  });
});
