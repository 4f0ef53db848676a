import { Column, Entity, JoinColumn, ManyToOne, MigrationInterface, OneToMany, PrimaryColumn, QueryRunner } from 'typeorm';

/** Relay's `orders` row without what the peer does not do (status tracking, addresses, idempotency keys). */
@Entity({ name: 'orders' })
export class PeerOrderEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @OneToMany(() => PeerOrderLineEntity, (line) => line.order)
  lines!: PeerOrderLineEntity[];
}

@Entity({ name: 'order_lines' })
export class PeerOrderLineEntity {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @PrimaryColumn({ name: 'line_no', type: 'int' })
  lineNo!: number;

  @Column({ type: 'text' })
  sku!: string;

  @Column({ type: 'int' })
  quantity!: number;

  @ManyToOne(() => PeerOrderEntity, (order) => order.lines, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'order_id' })
  order!: PeerOrderEntity;
}

export class CreatePeerOrders1733500000000 implements MigrationInterface {
  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE orders (
      id uuid PRIMARY KEY, customer_id text NOT NULL, status text NOT NULL,
      created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)`);
    await runner.query(`CREATE TABLE order_lines (
      order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE, line_no int NOT NULL,
      sku text NOT NULL, quantity int NOT NULL, PRIMARY KEY (order_id, line_no))`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE order_lines');
    await runner.query('DROP TABLE orders');
  }
}
