import { randomUUID } from 'node:crypto';
import { messagingMetrics } from '../metrics';
import { ConsumerMetricsRecorder } from './consumer-metrics.recorder';
import { ConsumerStats } from './consumer-stats';

describe('ConsumerMetricsRecorder', () => {
  // The real Prometheus counters: a group of its own keeps this test's series apart.
  const group = `metrics-${randomUUID()}`;
  const stats = new ConsumerStats();
  const recorder = new ConsumerMetricsRecorder(group, stats);

  const series = async (metric: 'eventsConsumed' | 'eventsFailed') =>
    (await messagingMetrics[metric].get()).values.filter((value) => value.labels.group === group).map(({ labels, value }) => ({ labels, value }));

  it('counts what the consumer finished with in its stats and in relay_events_consumed_total, by outcome', async () => {
    recorder.finished('relay.orders.v1', 'order-placed.v1', 'applied');
    recorder.finished('relay.orders.v1', 'order-placed.v1', 'applied');
    recorder.finished('relay.orders.v1', 'order-placed.v1', 'duplicate');
    recorder.finished('relay.orders.v1', 'stock-reserved.v1', 'skipped');
    recorder.poisonParked('relay.orders.v1');
    recorder.failureParked('relay.orders.v1', 'order-placed.v1');
    recorder.retried('relay.orders.v1', 'order-placed.v1');

    expect(stats.snapshot()).toEqual({ applied: 2, duplicates: 1, skipped: 1, retried: 1, deadLettered: 2, seeks: 0 });
    const labels = (event_type: string, outcome: string) => ({ group, topic: 'relay.orders.v1', event_type, outcome });
    expect(await series('eventsConsumed')).toEqual(
      expect.arrayContaining([
        { labels: labels('order-placed.v1', 'applied'), value: 2 },
        { labels: labels('order-placed.v1', 'duplicate'), value: 1 },
        { labels: labels('stock-reserved.v1', 'skipped'), value: 1 },
        { labels: labels('unknown', 'dead_lettered'), value: 1 },
        { labels: labels('order-placed.v1', 'dead_lettered'), value: 1 },
      ]),
    );
    expect(await series('eventsConsumed')).toHaveLength(5);
    expect(await series('eventsFailed')).toEqual(
      expect.arrayContaining([
        { labels: { group, topic: 'relay.orders.v1', event_type: 'order-placed.v1', next: 'retried' }, value: 1 },
        { labels: { group, topic: 'relay.orders.v1', event_type: 'order-placed.v1', next: 'dead_lettered' }, value: 1 },
      ]),
    );
    expect(await series('eventsFailed')).toHaveLength(2);
  });

  it('times a transaction into relay_event_processing_seconds by group and event type', async () => {
    const stop = recorder.startTimer('chunk');
    stop();
    const counts = (await messagingMetrics.processingSeconds.get()).values.filter(
      (value) => value.labels.group === group && value.labels.event_type === 'chunk' && value.metricName === 'relay_event_processing_seconds_count',
    );
    expect(counts.map((value) => value.value)).toEqual([1]);
  });
});
