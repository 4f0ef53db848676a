import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'deliveries' })
export class DeliveryEntity {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'delivery_date', type: 'date' })
  deliveryDate!: string;

  @Column({ name: 'time_window', type: 'text' })
  timeWindow!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
