import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { BehaviorSubject, Observable, filter } from 'rxjs';
import { deadLetterTopicFor, sourceTopicOfDeadLetterTopic, TopicProducers } from '@relay/contracts';
import { groupsLag, listTopics } from '@relay/ops';
import { CONSOLE_CONFIG, ConsoleConfig } from '../config/console.config';
import { watchedServices, WatchedService } from '../config/watched-services';
import { CounterRates } from './counter-rate';
import { LagHistory } from './lag-history';
import { DeadLetterTopicView, GroupView, LiveSnapshot, ServiceView } from './live-snapshot';
import { parsePrometheusText, sumOf } from './prometheus-text';

const METRICS_TIMEOUT_MS = 1_500;

/**
 * Measures the system every CONSOLE_SAMPLE_INTERVAL_MS and keeps the latest snapshot for the pages
 * (pushed over SSE): lag per group and partition with its owners, through the ops library's
 * `groupsLag` (the same code as `npm run ops -- lag`); dead-letter topics and their sizes; and each
 * service instance's /metrics for event rates and outbox backlog. One sampler however many pages
 * are open, so the console's load on Kafka does not grow with its audience. Samples never overlap:
 * the next starts an interval after the previous one ended.
 */
@Injectable()
export class LiveStateService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('LiveState');
  private readonly services: WatchedService[];
  private readonly latest = new BehaviorSubject<LiveSnapshot | null>(null);
  private readonly history: LagHistory;
  private readonly rates = new CounterRates();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(@Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig) {
    this.services = watchedServices(config);
    this.history = new LagHistory({ capacity: config.CONSOLE_HISTORY_SAMPLES, stalledAfterMs: config.CONSOLE_STALLED_AFTER_MS });
  }

  onModuleInit(): void {
    void this.sampleLoop();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.latest.complete();
  }

  /** The latest snapshot, then every new one. */
  snapshots(): Observable<LiveSnapshot> {
    return this.latest.pipe(filter((snapshot): snapshot is LiveSnapshot => snapshot !== null));
  }

  current(): LiveSnapshot | null {
    return this.latest.value;
  }

  private async sampleLoop(): Promise<void> {
    if (this.stopped) return;
    try {
      this.latest.next(await this.sampleOnce());
    } catch (error) {
      this.logger.warn(`sample failed: ${(error as Error).message}`);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.sampleLoop(), this.config.CONSOLE_SAMPLE_INTERVAL_MS);
  }

  /** One measurement of everything the live views show (the loop calls it; tests too). */
  async sampleOnce(): Promise<LiveSnapshot> {
    const now = Date.now();
    const problems: string[] = [];
    const kafkaBrokers = this.config.KAFKA_BROKERS;
    const [lags, topics, services] = await Promise.all([
      groupsLag({ kafkaBrokers, groups: this.services.map((service) => service.group) }).catch((error: Error) => {
        problems.push(`lag: ${error.message}`);
        return [];
      }),
      listTopics({ kafkaBrokers }).catch((error: Error) => {
        problems.push(`topics: ${error.message}`);
        return [];
      }),
      Promise.all(this.services.map((service) => this.serviceView(service, now))),
    ]);
    const groups: GroupView[] = lags.map((lag) => {
      const service = this.services.find((candidate) => candidate.group === lag.group)!;
      const committed = Object.fromEntries(lag.partitions.map((p) => [`${p.topic}:${p.partition}`, p.committedOffset]));
      const trend = this.history.record({ group: lag.group, totalLag: Number(lag.totalLag), committed }, now);
      return {
        group: lag.group,
        service: service.id,
        state: lag.state,
        members: lag.members,
        totalLag: lag.totalLag,
        partitions: lag.partitions.map(({ owner, ...partition }) => ({ ...partition, owner: owner ? { clientId: owner.clientId, memberId: owner.memberId, host: owner.host } : null })),
        history: { times: trend.times, lags: trend.lags },
        stalled: trend.stalled,
        stalledSince: trend.stalledSince,
      };
    });
    for (const service of services) service.consumes = lags.find((lag) => lag.group === service.group)?.topics ?? [];
    for (const service of services) if (service.instances.some((instance) => !instance.up)) problems.push(`${service.id}: ${service.instances.filter((i) => !i.up).map((i) => i.url).join(', ')} not answering`);
    // Dead-letter topics of the watched groups only (other stacks may share the broker).
    const deadLetters: DeadLetterTopicView[] = topics.flatMap((topic) => {
      const sourceTopic = sourceTopicOfDeadLetterTopic(topic.topic);
      const group = sourceTopic === undefined ? undefined : this.services.find((service) => deadLetterTopicFor(sourceTopic, service.group) === topic.topic)?.group;
      return sourceTopic === undefined || group === undefined ? [] : [{ dlqTopic: topic.topic, group, sourceTopic, parked: Number(topic.retained) }];
    });
    return { at: new Date(now).toISOString(), services, groups, deadLetters, problems };
  }

  /** Reads every instance's /metrics; rates are per instance (see CounterRates). */
  private async serviceView(service: WatchedService, now: number): Promise<ServiceView> {
    const publishes = Object.entries(TopicProducers)
      .filter(([, producer]) => producer === service.id)
      .map(([topic]) => topic);
    const view: ServiceView = {
      id: service.id,
      group: service.group,
      publishes,
      consumes: [],
      instances: [],
      eventsInPerSecond: null,
      eventsOutPerSecond: null,
      outboxBacklog: null,
      outboxOldestAgeSeconds: null,
    };
    const add = (current: number | null, value: number | undefined, combine: (a: number, b: number) => number) => (value === undefined ? current : current === null ? value : combine(current, value));
    await Promise.all(
      service.urls.map(async (url) => {
        const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(METRICS_TIMEOUT_MS) })
          .then((response) => (response.ok ? response.text() : undefined))
          .catch(() => undefined);
        view.instances.push({ url, up: text !== undefined });
        const samples = text === undefined ? [] : parsePrometheusText(text);
        const consumed = text === undefined ? undefined : (sumOf(samples, 'relay_events_consumed_total', (labels) => labels.group === service.group) ?? 0);
        const published = text === undefined ? undefined : (sumOf(samples, 'relay_outbox_published_total') ?? 0);
        view.eventsInPerSecond = add(view.eventsInPerSecond, this.rates.rate(`${url} in`, consumed, now), (a, b) => a + b);
        view.eventsOutPerSecond = add(view.eventsOutPerSecond, this.rates.rate(`${url} out`, published, now), (a, b) => a + b);
        view.outboxBacklog = add(view.outboxBacklog, sumOf(samples, 'relay_outbox_backlog'), Math.max);
        view.outboxOldestAgeSeconds = add(view.outboxOldestAgeSeconds, sumOf(samples, 'relay_outbox_oldest_age_seconds'), Math.max);
      }),
    );
    view.instances.sort((a, b) => service.urls.indexOf(a.url) - service.urls.indexOf(b.url));
    return view;
  }
}
