import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateDeliveries1731000000200 implements MigrationInterface {
  name = 'CreateDeliveries1731000000200';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE deliveries (
        order_id uuid PRIMARY KEY,
        status text NOT NULL,
        delivery_date date NOT NULL,
        time_window text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE deliveries`);
  }
}
