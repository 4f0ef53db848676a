import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateStock1731000000100 implements MigrationInterface {
  name = 'CreateStock1731000000100';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE stock_items (
        sku text PRIMARY KEY,
        on_hand int NOT NULL CHECK (on_hand >= 0),
        reserved int NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE reservations (
        order_id uuid PRIMARY KEY,
        status text NOT NULL,
        lines jsonb NOT NULL,
        reason jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE reservations`);
    await runner.query(`DROP TABLE stock_items`);
  }
}
