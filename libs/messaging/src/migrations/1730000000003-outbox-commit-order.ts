import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The id of the transaction that wrote each outbox row (`tx_id`), so that the relay can publish in
 * commit-safe order (outbox/outbox-relay.ts says how). The writer does not change: the column's
 * default is the writing transaction's id. xid8 is the 64-bit, epoch-extended id: it never wraps.
 *
 * Rows already there get 0, not the migration's own transaction id: they are all committed (the
 * ALTER waits for every transaction writing the table), so they come before any row written after
 * it, in id order as before. A constant default is also a catalog change only, with no rewrite of
 * a table that keeps its published rows. The new default applies to rows written afterwards.
 *
 * The index of pending rows is replaced by one in the relay's order; the backlog count and the
 * other `published_at IS NULL` scans use it as well.
 */
export class OutboxCommitOrder1730000000003 implements MigrationInterface {
  name = 'OutboxCommitOrder1730000000003';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE outbox ADD COLUMN tx_id xid8 NOT NULL DEFAULT '0'`);
    await runner.query(`ALTER TABLE outbox ALTER COLUMN tx_id SET DEFAULT pg_current_xact_id()`);
    await runner.query(`CREATE INDEX outbox_pending_idx ON outbox (tx_id, id) WHERE published_at IS NULL`);
    await runner.query(`DROP INDEX outbox_unpublished_idx`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL`);
    await runner.query(`DROP INDEX outbox_pending_idx`);
    await runner.query(`ALTER TABLE outbox DROP COLUMN tx_id`);
  }
}
