import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An event waiting to be published, written in the same transaction as the change it describes.
 * The relay publishes rows in commit-safe order (transaction id, then id) and stamps `publishedAt`;
 * a row is never deleted by the request path, so nothing a request committed can be lost on its
 * way to Kafka.
 *
 * The `tx_id` column (xid8, the writing transaction's id, set by its default) and the index of
 * pending rows on (tx_id, id) exist in the migrations only: TypeORM has no xid8 type, and nothing
 * reads or writes rows through this entity (the writer and the relay use SQL).
 */
@Entity({ name: 'outbox' })
@Index('outbox_pending_idx', { synchronize: false })
export class OutboxMessageEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'event_id', type: 'uuid', unique: true })
  eventId!: string;

  @Column({ type: 'text' })
  topic!: string;

  @Column({ name: 'message_key', type: 'text' })
  messageKey!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  @Column({ type: 'jsonb' })
  payload!: object;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  headers!: Record<string, string>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;
}
