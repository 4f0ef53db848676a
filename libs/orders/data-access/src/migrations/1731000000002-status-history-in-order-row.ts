import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An order's status history moves from a row per transition (`order_status_history`) into the
 * order's own row (`orders.status_history`, a JSON array of {from, to, cause, at}). Every status
 * change already rewrites the order's row; appending its history entry there costs no extra row,
 * index entry or statement, where the table cost three rows per order (issue 11's census). Existing
 * history moves with its order, in its order.
 */
export class StatusHistoryInOrderRow1731000000002 implements MigrationInterface {
  name = 'StatusHistoryInOrderRow1731000000002';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE orders ADD COLUMN status_history jsonb NOT NULL DEFAULT '[]'::jsonb`);
    await runner.query(`
      UPDATE orders AS o SET status_history = h.entries
      FROM (
        SELECT order_id,
               jsonb_agg(jsonb_build_object('from', from_status, 'to', to_status, 'cause', cause, 'at', changed_at) ORDER BY id) AS entries
        FROM order_status_history
        GROUP BY order_id
      ) AS h
      WHERE o.id = h.order_id`);
    await runner.query(`DROP TABLE order_status_history`);
  }

  async down(runner: QueryRunner): Promise<void> {
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
      SELECT o.id, entry->>'from', entry->>'to', entry->>'cause', (entry->>'at')::timestamptz
      FROM orders AS o CROSS JOIN LATERAL jsonb_array_elements(o.status_history) WITH ORDINALITY AS h(entry, position)
      ORDER BY o.created_at, o.id, h.position`);
    await runner.query(`ALTER TABLE orders DROP COLUMN status_history`);
  }
}
