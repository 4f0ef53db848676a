import { Column, Entity, OneToMany, PrimaryColumn } from 'typeorm';
import { OrderLineEntity } from './order-line.entity';

@Entity({ name: 'orders' })
export class OrderEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @OneToMany(() => OrderLineEntity, (line) => line.order, { cascade: ['insert'] })
  lines!: OrderLineEntity[];
}
