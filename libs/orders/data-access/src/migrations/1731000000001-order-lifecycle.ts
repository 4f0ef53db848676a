import { MigrationInterface, QueryRunner } from 'typeorm';

/** Status reasons and history, shipping addresses, and idempotency keys for POST /orders. */
export class OrderLifecycle1731000000001 implements MigrationInterface {
  name = 'OrderLifecycle1731000000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE orders
        ADD COLUMN status_reason jsonb,
        ADD COLUMN shipping_address jsonb,
        ADD COLUMN updated_at timestamptz,
        ADD COLUMN idempotency_key text,
        ADD COLUMN request_hash text`);
    await runner.query(`UPDATE orders SET updated_at = created_at`);
    await runner.query(`ALTER TABLE orders ALTER COLUMN updated_at SET NOT NULL`);
    await runner.query(`CREATE UNIQUE INDEX orders_idempotency_key_idx ON orders (idempotency_key) WHERE idempotency_key IS NOT NULL`);
    // Keyset pagination: newest first, filtered by status and/or customer.
    await runner.query(`CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC)`);
    await runner.query(`CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at DESC, id DESC)`);
    await runner.query(`CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC, id DESC)`);
    await runner.query(`
      CREATE TABLE order_status_history (
        id bigserial PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        from_status text,
        to_status text NOT NULL,
        cause text NOT NULL,
        changed_at timestamptz NOT NULL
      )`);
    await runner.query(`CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id)`);
    await runner.query(`
      INSERT INTO order_status_history (order_id, from_status, to_status, cause, changed_at)
      SELECT id, NULL, status, 'order.placed.v1', created_at FROM orders`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE order_status_history`);
    await runner.query(`DROP INDEX orders_status_created_idx, orders_customer_created_idx, orders_created_idx, orders_idempotency_key_idx`);
    await runner.query(`ALTER TABLE orders DROP COLUMN status_reason, DROP COLUMN shipping_address, DROP COLUMN updated_at, DROP COLUMN idempotency_key, DROP COLUMN request_hash`);
  }
}
