import { Db } from '../db';
import { plural } from '../io';
import { AuditContext } from './context';
import { EVENT, ServiceId, SERVICES } from './model';
import { OutboxRow, Snapshot, stillUnpublished } from './snapshot';
import { checkResult, CheckResult, FindingBuilder, ResolvedAuditOptions } from './types';

/** Rows each outbox had not published at the snapshot, and which of them were overdue. */
export interface OutboxBacklog {
  service: ServiceId;
  schema: string;
  unpublished: OutboxRow[];
  overdue: OutboxRow[];
  /** Overdue rows still unpublished at the last look. */
  stuck: Set<string>;
  /** Some row unpublished at the snapshot was published since: the relay is working. */
  progressed: boolean;
}

export function outboxBacklogs(snapshot: Snapshot, options: ResolvedAuditOptions): OutboxBacklog[] {
  return SERVICES.map((service) => {
    const unpublished = snapshot.outbox[service].rows.filter((row) => row.publishedAt === null);
    const overdue = unpublished.filter((row) => row.ageSeconds >= options.graceSeconds);
    return { service, schema: options[service].schema, unpublished, overdue, stuck: new Set(overdue.map((row) => row.id)), progressed: false };
  });
}

/**
 * Looks again at the rows that were unpublished at the snapshot. Resolves true while an overdue
 * row is still waiting on a relay that published nothing since (worth waiting for).
 */
export async function recheckBacklogs(db: Db, backlogs: OutboxBacklog[]): Promise<boolean> {
  let waiting = false;
  for (const backlog of backlogs) {
    if (backlog.stuck.size === 0 || backlog.progressed) continue;
    const left = await stillUnpublished(
      db,
      backlog.schema,
      backlog.unpublished.map((row) => row.id),
    );
    backlog.progressed = left.size < backlog.unpublished.length;
    backlog.stuck = new Set([...backlog.stuck].filter((id) => left.has(id)));
    if (backlog.stuck.size > 0 && !backlog.progressed) waiting = true;
  }
  return waiting;
}

/**
 * (1) Every order has its order.placed event in the outbox, a cancelled order its order.cancelled;
 * no outbox of the three services keeps a row unpublished: a row older than the grace period is a
 * gap when its relay published nothing during the audit (it is down or stuck), a backlog otherwise.
 * An event its relay quarantined (Kafka refused it for good) is a gap of its own kind, reported
 * here only: the other checks name it as quarantined rather than as missing or stuck.
 */
export function outboxCheck(context: AuditContext, backlogs: OutboxBacklog[]): CheckResult {
  const { snapshot, options } = context;
  const max = options.maxExamples;
  const grace = options.graceSeconds;
  const missing = new FindingBuilder('missing-event', 'orders without an order.placed event in the outbox', max);
  const orphans = new FindingBuilder('orphan-event', 'order events in the orders outbox for orders that do not exist', max);
  const cancelMismatch = new FindingBuilder('cancel-mismatch', 'CANCELLED orders without exactly one order.cancelled event in the outbox, or such an event for an order that is not CANCELLED', max);
  const unpublished = new FindingBuilder('unpublished', `outbox rows unpublished for more than ${grace} s whose relay published nothing during the audit (down or stuck)`, max);
  const backlog = new FindingBuilder('backlog', `outbox rows unpublished for more than ${grace} s at the snapshot, their relay publishing (in flight)`, max);
  const pending = new FindingBuilder('pending', `outbox rows younger than ${grace} s, not published yet (in flight)`, max);
  const multiple = new FindingBuilder('multiple-events', 'orders with more than one order.placed event in the outbox', max);
  const quarantined = new FindingBuilder(
    'quarantined',
    'events Kafka refused for good (e.g. larger than the topic\'s max.message.bytes), quarantined by their relay: never published, so no consumer applied them ' +
      '(`npm run ops -- outbox quarantine`; docs/operations.md, "Quarantined outbox events")',
    max,
  );
  const republished = new FindingBuilder('quarantine-republished', 'quarantined events an operator has published since (found on their topic): dealt with', max);
  for (const service of SERVICES) {
    for (const event of snapshot.quarantine[service]) {
      if (event.eventId !== null && context.scans[service].events.has(event.eventId)) {
        republished.add({ schema: event.schema, eventId: event.eventId, eventType: event.eventType, key: event.key, quarantinedAt: event.quarantinedAt });
        continue;
      }
      quarantined.add({
        schema: event.schema,
        eventId: event.eventId,
        eventType: event.eventType,
        key: event.key,
        topic: event.topic,
        reason: event.reason,
        sizeBytes: event.sizeBytes,
        limitBytes: event.limitBytes,
        quarantinedAt: event.quarantinedAt,
      });
    }
  }
  const ordersOutbox = snapshot.outbox.orders;

  let placedEvents = 0;
  let cancelledEvents = 0;
  for (const [orderId, order] of snapshot.orders) {
    const rows = ordersOutbox.byKey.get(orderId) ?? [];
    const placed = rows.filter((row) => row.type === EVENT.placed);
    const cancelled = rows.filter((row) => row.type === EVENT.cancelled);
    if (placed.length === 0) missing.add({ orderId, createdAt: order.createdAt });
    else if (placed.length > 1) multiple.add({ orderId, eventIds: placed.map((row) => row.eventId).join(', ') });
    if ((order.status === 'CANCELLED') !== (cancelled.length > 0) || cancelled.length > 1) {
      cancelMismatch.add({ orderId, status: order.status, cancelEvents: cancelled.length });
    }
  }
  for (const row of ordersOutbox.rows) {
    if (row.type === EVENT.placed) placedEvents++;
    if (row.type === EVENT.cancelled) cancelledEvents++;
    if ((row.type === EVENT.placed || row.type === EVENT.cancelled) && !snapshot.orders.has(row.key)) {
      orphans.add({ orderId: row.key, eventId: row.eventId, eventType: row.type, createdAt: row.createdAt });
    }
  }

  const perService: Record<string, number> = {};
  let oldest = 0;
  for (const entry of backlogs) {
    perService[`unpublished${entry.service[0].toUpperCase()}${entry.service.slice(1)}`] = entry.unpublished.length;
    for (const row of entry.unpublished) {
      oldest = Math.max(oldest, row.ageSeconds);
      const example = { schema: entry.schema, outboxId: row.id, eventId: row.eventId, eventType: row.type, key: row.key, createdAt: row.createdAt, ageSeconds: row.ageSeconds };
      if (row.ageSeconds < grace) pending.add(example);
      else if (entry.stuck.has(row.id) && !entry.progressed) unpublished.add(example);
      else backlog.add(example);
    }
  }
  const total = backlogs.reduce((sum, entry) => sum + entry.unpublished.length, 0);
  const overdue = backlogs.reduce((sum, entry) => sum + entry.overdue.length, 0);
  const counts = {
    orders: snapshot.orders.size,
    placedEvents,
    cancelledEvents,
    unpublished: total,
    ...perService,
    unpublishedOverdue: overdue,
    oldestUnpublishedSeconds: oldest,
    ordersWithoutEvent: missing.count,
    quarantined: quarantined.count,
    quarantineRepublished: republished.count,
  };
  const summary =
    `${plural(counts.orders, 'order')}, ${plural(placedEvents, 'order.placed event')} and ${plural(cancelledEvents, 'order.cancelled event')} in the orders outbox; ` +
    `unpublished: ${backlogs.map((entry) => `${entry.schema} ${entry.unpublished.length}`).join(', ')} (${overdue} older than ${grace} s${total > 0 ? `, oldest ${oldest} s` : ''}); ` +
    `quarantined: ${SERVICES.map((service) => `${options[service].schema} ${snapshot.quarantine[service].length}`).join(', ')}${republished.count > 0 ? ` (${republished.count} since republished)` : ''}`;
  return checkResult(
    'outbox',
    '1. outbox: every order has its events; every service publishes its outbox, none quarantined',
    summary,
    counts,
    [missing, orphans, cancelMismatch, unpublished, quarantined],
    [backlog, pending, multiple, republished],
  );
}
