import { Counter, Gauge, Histogram } from 'prom-client';

type Refresh = () => Promise<void>;
const lagRefreshers = new Set<Refresh>();
const backlogRefreshers = new Set<Refresh>();
const SCRAPE_BUDGET_MS = 2_000;

/** Runs the registered refreshers, giving up after a budget: a slow broker never hangs a scrape. */
async function refreshAll(refreshers: Set<Refresh>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>((resolve) => (timer = setTimeout(resolve, SCRAPE_BUDGET_MS)));
  await Promise.race([Promise.allSettled([...refreshers].map((refresh) => refresh())), budget]);
  clearTimeout(timer);
}

/** Registers what refreshes the lag or backlog gauges at scrape time; returns the unregister. */
export function onMetricsScrape(kind: 'lag' | 'backlog', refresh: Refresh): () => void {
  const set = kind === 'lag' ? lagRefreshers : backlogRefreshers;
  set.add(refresh);
  return () => set.delete(refresh);
}

/**
 * The messaging metrics every service exports at /metrics. Names follow Prometheus conventions;
 * labels are bounded (groups, topics, event types, outcomes), never ids.
 */
export const messagingMetrics = {
  eventsConsumed: new Counter({
    name: 'relay_events_consumed_total',
    help: 'Events a consumer group finished with, by outcome: applied, duplicate (already applied), skipped (no handler), dead_lettered',
    labelNames: ['group', 'topic', 'event_type', 'outcome'],
  }),
  eventsFailed: new Counter({
    name: 'relay_event_failures_total',
    help: 'Handler failures, by what happened next: retried in place, or dead_lettered',
    labelNames: ['group', 'topic', 'event_type', 'next'],
  }),
  processingSeconds: new Histogram({
    name: 'relay_event_processing_seconds',
    help: 'Time to apply one event (its transaction included), by group and event type',
    labelNames: ['group', 'event_type'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  }),
  consumerLag: new Gauge({
    name: 'relay_consumer_lag',
    help: 'Messages not yet committed by the group, per topic and partition (read at scrape time)',
    labelNames: ['group', 'topic', 'partition'],
    collect: () => refreshAll(lagRefreshers),
  }),
  outboxBacklog: new Gauge({
    name: 'relay_outbox_backlog',
    help: 'Outbox rows not yet published (read at scrape time)',
    collect: () => refreshAll(backlogRefreshers),
  }),
  outboxWalBacklogBytes: new Gauge({
    name: 'relay_outbox_wal_backlog_bytes',
    help: 'WAL the outbox slot keeps and has not confirmed (WAL outbox; 0 with the table outbox), in bytes (read at scrape time)',
  }),
  outboxOldestAgeSeconds: new Gauge({ name: 'relay_outbox_oldest_age_seconds', help: 'Age of the oldest unpublished outbox row; 0 when none (read at scrape time)' }),
  outboxPublishSeconds: new Histogram({
    name: 'relay_outbox_publish_seconds',
    help: 'Time for one outbox batch: Kafka acknowledgement and marking the rows published',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  }),
  outboxPublished: new Counter({ name: 'relay_outbox_published_total', help: 'Outbox rows published to Kafka', labelNames: ['topic'] }),
  outboxQuarantined: new Counter({
    name: 'relay_outbox_quarantined_total',
    help: 'Outbox events Kafka refused on their own for good (e.g. MESSAGE_TOO_LARGE): kept in the relay_quarantine table of its schema, never published; the relay moved past them',
    labelNames: ['topic', 'reason'],
  }),
};
