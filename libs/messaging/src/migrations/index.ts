import { CreateOutbox1730000000000 } from './1730000000000-create-outbox';
import { CreateProcessedEvents1730000000001 } from './1730000000001-create-processed-events';
import { CreateConsumerPositions1730000000002 } from './1730000000002-create-consumer-positions';
import { OutboxCommitOrder1730000000003 } from './1730000000003-outbox-commit-order';
import { CreateParkedEvents1730000000004 } from './1730000000004-create-parked-events';
import { CreateRelayQuarantine1730000000005 } from './1730000000005-create-relay-quarantine';
import { OutboxMessageEntity } from '../outbox/outbox-message.entity';
import { ProcessedEventEntity } from '../inbox/processed-event.entity';

/**
 * Tables and migrations a service that publishes through the outbox needs in its own schema: the
 * outbox table (the table store, and events an earlier version left there) and the relay's
 * quarantine (events Kafka can never accept), whichever store the service uses.
 */
export const outboxPersistence = {
  entities: [OutboxMessageEntity],
  migrations: [CreateOutbox1730000000000, OutboxCommitOrder1730000000003, CreateRelayQuarantine1730000000005],
};

/**
 * Tables and migrations a service that consumes events needs in its own schema: the positions
 * (one row per partition), the messages parked and not replayed yet, and processed_events, which now
 * holds only events published without a producer sequence (before the upgrade to positions).
 */
export const inboxPersistence = {
  entities: [ProcessedEventEntity],
  migrations: [CreateProcessedEvents1730000000001, CreateConsumerPositions1730000000002, CreateParkedEvents1730000000004],
};
