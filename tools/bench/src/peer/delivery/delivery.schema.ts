import { Column, Entity, MigrationInterface, PrimaryColumn, QueryRunner } from 'typeorm';

/** Relay's `deliveries` row: PENDING when the order is placed, SCHEDULED or CANCELLED on its stock outcome. */
@Entity({ name: 'deliveries' })
export class PeerDeliveryEntity {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'delivery_date', type: 'date', nullable: true })
  deliveryDate!: string | null;

  @Column({ name: 'time_window', type: 'text', nullable: true })
  timeWindow!: string | null;

  @Column({ type: 'text', nullable: true })
  route!: string | null;

  @Column({ name: 'stock_status', type: 'text' })
  stockStatus!: string;

  /** now() of the transaction that first wrote the row (the bench's "delivery processed" time). */
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  /** now() of the last change (for a SCHEDULED row: when the stock event was applied). */
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}

export class CreatePeerDeliveries1733500000200 implements MigrationInterface {
  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE deliveries (
      order_id uuid PRIMARY KEY, status text NOT NULL, delivery_date date, time_window text, route text,
      stock_status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE deliveries');
  }
}
