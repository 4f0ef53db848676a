import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'deliveries' })
export class DeliveryEntity {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  /** PENDING, PREPARED, SCHEDULED or CANCELLED (see DeliveryState). */
  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'delivery_date', type: 'date', nullable: true })
  deliveryDate!: string | null;

  @Column({ name: 'time_window', type: 'text', nullable: true })
  timeWindow!: string | null;

  @Column({ type: 'text', nullable: true })
  route!: string | null;

  /** What delivery knows of the order's stock: UNKNOWN, RESERVED or REJECTED. */
  @Column({ name: 'stock_status', type: 'text' })
  stockStatus!: string;

  @Column({ name: 'cancel_reason', type: 'text', nullable: true })
  cancelReason!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
