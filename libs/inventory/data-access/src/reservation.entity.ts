import { Column, Entity, PrimaryColumn } from 'typeorm';

export interface ReservationLine {
  sku: string;
  quantity: number;
}

@Entity({ name: 'reservations' })
export class ReservationEntity {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  /** RESERVED, REJECTED, RELEASED (reserved, then the order was cancelled) or CANCELLED (cancelled first). */
  @Column({ type: 'text' })
  status!: string;

  @Column({ type: 'jsonb' })
  lines!: ReservationLine[];

  /** Why the order could not be reserved (code, SKU, requested, available); null when reserved. */
  @Column({ type: 'jsonb', nullable: true })
  reason!: Record<string, unknown> | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
