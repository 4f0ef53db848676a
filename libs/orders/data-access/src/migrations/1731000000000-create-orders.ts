import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrders1731000000000 implements MigrationInterface {
  name = 'CreateOrders1731000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY,
        customer_id text NOT NULL,
        status text NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE order_lines (
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        line_no int NOT NULL,
        sku text NOT NULL,
        quantity int NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (order_id, line_no)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE order_lines`);
    await runner.query(`DROP TABLE orders`);
  }
}
