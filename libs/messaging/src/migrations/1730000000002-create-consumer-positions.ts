import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per (consumer group, topic, partition): the position applied, updated in the same
 * transaction as the effects (libs/messaging/src/position). Its size follows the number of
 * partitions, never the number of events. `producer_sequences` is json, not jsonb: it is read and
 * written whole, nothing queries inside it.
 */
export class CreateConsumerPositions1730000000002 implements MigrationInterface {
  name = 'CreateConsumerPositions1730000000002';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE consumer_positions (
        consumer_group text NOT NULL,
        topic text NOT NULL,
        partition int NOT NULL,
        next_offset bigint,
        producer_sequences json NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer_group, topic, partition)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE consumer_positions`);
  }
}
