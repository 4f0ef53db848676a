import { TopicName } from '@relay/contracts';
import { OutboxPublisherOptions } from './outbox-publisher';

/** What the outbox relay of one service publishes, and how (OutboxPublisherOptions, with its topics by name). */
export interface OutboxRelayModuleOptions extends Omit<OutboxPublisherOptions, 'topics'> {
  publishes: TopicName[];
}
