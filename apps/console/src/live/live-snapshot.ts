import type { OwnedPartitionLag } from '@relay/ops';
import type { ServiceId } from '../config/watched-services';

/** One instance of a service, as its /metrics answered (or did not) at the last sample. */
export interface InstanceView {
  url: string;
  up: boolean;
}

export interface ServiceView {
  id: ServiceId;
  group: string;
  /** The topic it publishes (its outbox's), and the topics its group consumes. */
  publishes: string[];
  consumes: string[];
  instances: InstanceView[];
  /** Events its group finished with (applied, duplicates, skipped, parked), per second, all instances. */
  eventsInPerSecond: number | null;
  /** Outbox rows it published to Kafka, per second. */
  eventsOutPerSecond: number | null;
  /** Unpublished outbox rows and the age of the oldest (the highest over its instances). */
  outboxBacklog: number | null;
  outboxOldestAgeSeconds: number | null;
}

export interface PartitionView extends Omit<OwnedPartitionLag, 'owner'> {
  /** The owning instance's Kafka client id and member id; null while no instance owns it. */
  owner: { clientId: string; memberId: string; host: string } | null;
}

export interface GroupView {
  group: string;
  service: ServiceId;
  state: string;
  members: number;
  totalLag: string;
  partitions: PartitionView[];
  history: { times: number[]; lags: number[] };
  stalled: boolean;
  stalledSince: string | null;
}

export interface DeadLetterTopicView {
  dlqTopic: string;
  group: string;
  sourceTopic: string;
  /** Records on the topic now. */
  parked: number;
}

/** What every open page is sent on each sample. */
export interface LiveSnapshot {
  at: string;
  services: ServiceView[];
  groups: GroupView[];
  deadLetters: DeadLetterTopicView[];
  /** What could not be measured this time (a broker or an instance unreachable), for the page to say. */
  problems: string[];
}
