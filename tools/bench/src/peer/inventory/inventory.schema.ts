import { Column, Entity, MigrationInterface, PrimaryColumn, QueryRunner, UpdateDateColumn } from 'typeorm';

/** Relay's `stock_items` row. */
@Entity({ name: 'stock_items' })
export class PeerStockItemEntity {
  @PrimaryColumn({ type: 'text' })
  sku!: string;

  @Column({ name: 'on_hand', type: 'int' })
  onHand!: number;

  @Column({ type: 'int' })
  reserved!: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** Relay's `reservations` row: one per order, RESERVED or REJECTED. */
@Entity({ name: 'reservations' })
export class PeerReservationEntity {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ type: 'text' })
  status!: string;

  @Column({ type: 'jsonb' })
  lines!: Array<{ sku: string; quantity: number }>;

  @Column({ type: 'jsonb', nullable: true })
  reason!: Record<string, unknown> | null;

  /** now() of the handler's transaction: when the peer processed the order (the bench's latency). */
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

export class CreatePeerStock1733500000100 implements MigrationInterface {
  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE stock_items (
      sku text PRIMARY KEY, on_hand int NOT NULL, reserved int NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    await runner.query(`CREATE TABLE reservations (
      order_id uuid PRIMARY KEY, status text NOT NULL, lines jsonb NOT NULL, reason jsonb,
      created_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE reservations');
    await runner.query('DROP TABLE stock_items');
  }
}
