import { parsePrometheusText, sumOf } from './prometheus-text';

const exposition = `# HELP relay_events_consumed_total Events a consumer group finished with
# TYPE relay_events_consumed_total counter
relay_events_consumed_total{group="inventory",topic="relay.orders.v1",event_type="OrderPlaced",outcome="applied"} 40
relay_events_consumed_total{group="inventory",topic="relay.orders.v1",event_type="OrderPlaced",outcome="duplicate"} 2
relay_outbox_backlog 7
relay_outbox_oldest_age_seconds 1.5
weird_label{reason="say \\"no\\""} 1
`;

describe('Prometheus text', () => {
  const samples = parsePrometheusText(exposition);

  it('reads samples with their labels, skipping comments', () => {
    expect(samples).toHaveLength(5);
    expect(samples[0]).toEqual({ name: 'relay_events_consumed_total', labels: { group: 'inventory', topic: 'relay.orders.v1', event_type: 'OrderPlaced', outcome: 'applied' }, value: 40 });
    expect(samples[4].labels.reason).toBe('say "no"');
  });

  it('sums a metric over the samples a filter accepts; undefined when the metric is absent', () => {
    expect(sumOf(samples, 'relay_events_consumed_total')).toBe(42);
    expect(sumOf(samples, 'relay_events_consumed_total', (labels) => labels.outcome === 'applied')).toBe(40);
    expect(sumOf(samples, 'relay_outbox_backlog')).toBe(7);
    expect(sumOf(samples, 'relay_not_there')).toBeUndefined();
  });
});
