import { MigrationInterface, QueryRunner } from 'typeorm';

/** Deliveries are prepared first and confirmed once stock is reserved, or cancelled. */
export class DeliveryLifecycle1731000000201 implements MigrationInterface {
  name = 'DeliveryLifecycle1731000000201';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE deliveries
        ALTER COLUMN delivery_date DROP NOT NULL,
        ALTER COLUMN time_window DROP NOT NULL,
        ADD COLUMN route text,
        ADD COLUMN stock_status text NOT NULL DEFAULT 'UNKNOWN',
        ADD COLUMN cancel_reason text,
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE deliveries DROP COLUMN route, DROP COLUMN stock_status, DROP COLUMN cancel_reason, DROP COLUMN updated_at`);
  }
}
