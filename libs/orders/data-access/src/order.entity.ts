import { Column, Entity, OneToMany, PrimaryColumn } from 'typeorm';
import type { OrderStatus, ShippingAddress, StatusReason } from '@relay/orders/domain';
import { OrderLineEntity } from './order-line.entity';

/** One entry of `orders.status_history`; `at` is an ISO-8601 time. */
export interface StoredStatusChange {
  from: OrderStatus | null;
  to: OrderStatus;
  cause: string;
  at: string;
}

@Entity({ name: 'orders' })
export class OrderEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'status_reason', type: 'jsonb', nullable: true })
  statusReason!: StatusReason | null;

  @Column({ name: 'shipping_address', type: 'jsonb', nullable: true })
  shippingAddress!: ShippingAddress | null;

  /** Every status the order took, oldest first: appended by the statement that changes the status. */
  @Column({ name: 'status_history', type: 'jsonb' })
  statusHistory!: StoredStatusChange[];

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  /** The client's Idempotency-Key for the POST that created the order, if it sent one. */
  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  /** Hash of that request's body: the same key with another body is refused. */
  @Column({ name: 'request_hash', type: 'text', nullable: true })
  requestHash!: string | null;

  @OneToMany(() => OrderLineEntity, (line) => line.order)
  lines!: OrderLineEntity[];
}
