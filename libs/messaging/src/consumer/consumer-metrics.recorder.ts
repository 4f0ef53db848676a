import { messagingMetrics } from '../metrics';
import { ConsumerStats } from './consumer-stats';

/** How the consumer finished with an event it did not park. */
export type FinishedOutcome = 'applied' | 'duplicate' | 'skipped';

/**
 * The measuring stage: what the consumer did, counted twice, in this instance's ConsumerStats
 * (served at /consumer) and in the Prometheus counters of `messagingMetrics` (served at /metrics).
 * Labels stay bounded: group, topic and event type (`unknown` for a message that could not be
 * decoded), never ids. Each method is called once per event, after what it counts is durable.
 */
export class ConsumerMetricsRecorder {
  constructor(
    private readonly consumerGroup: string,
    private readonly stats: ConsumerStats,
    private readonly metrics: Pick<typeof messagingMetrics, 'eventsConsumed' | 'eventsFailed' | 'processingSeconds'> = messagingMetrics,
  ) {}

  /** Starts timing one event's transaction (or a whole chunk's, as event type `chunk`); call the result to stop. */
  startTimer(eventType: string): () => void {
    const stop = this.metrics.processingSeconds.startTimer({ group: this.consumerGroup, event_type: eventType });
    return () => void stop();
  }

  /** An event applied, recognised as a duplicate, or skipped (no handler in this group). */
  finished(topic: string, eventType: string, outcome: FinishedOutcome): void {
    if (outcome === 'applied') this.stats.applied++;
    else if (outcome === 'duplicate') this.stats.duplicates++;
    else this.stats.skipped++;
    this.metrics.eventsConsumed.inc({ group: this.consumerGroup, topic, event_type: eventType, outcome });
  }

  /** A handler failure that will be retried in place. */
  retried(topic: string, eventType: string): void {
    this.stats.retried++;
    this.metrics.eventsFailed.inc({ group: this.consumerGroup, topic, event_type: eventType, next: 'retried' });
  }

  /** A message that could not be decoded, now on the dead-letter topic. */
  poisonParked(topic: string): void {
    this.stats.deadLettered++;
    this.metrics.eventsConsumed.inc({ group: this.consumerGroup, topic, event_type: 'unknown', outcome: 'dead_lettered' });
  }

  /** An event whose handler failed for good (out of attempts, or not retriable), now on the dead-letter topic. */
  failureParked(topic: string, eventType: string): void {
    this.stats.deadLettered++;
    const labels = { group: this.consumerGroup, topic, event_type: eventType };
    this.metrics.eventsFailed.inc({ ...labels, next: 'dead_lettered' });
    this.metrics.eventsConsumed.inc({ ...labels, outcome: 'dead_lettered' });
  }
}
