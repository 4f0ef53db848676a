import { CreateOutbox1730000000000 } from './1730000000000-create-outbox';
import { CreateProcessedEvents1730000000001 } from './1730000000001-create-processed-events';
import { OutboxCommitOrder1730000000003 } from './1730000000003-outbox-commit-order';
import { OutboxMessageEntity } from '../outbox/outbox-message.entity';
import { ProcessedEventEntity } from '../inbox/processed-event.entity';

/** Tables and migrations a service that publishes through the outbox needs in its own schema. */
export const outboxPersistence = { entities: [OutboxMessageEntity], migrations: [CreateOutbox1730000000000, OutboxCommitOrder1730000000003] };

/** Tables and migrations a service that consumes events needs in its own schema. */
export const inboxPersistence = { entities: [ProcessedEventEntity], migrations: [CreateProcessedEvents1730000000001] };
