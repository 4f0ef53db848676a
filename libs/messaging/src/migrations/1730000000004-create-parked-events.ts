import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per message a group parked on a dead-letter topic and has not applied since, written in
 * the same transaction that moves the partition's position past it. A replay is applied only by
 * consuming the row of its original (so a record replayed twice is applied once, and a group that
 * applied the original skips another group's replay of it). Rows come and go with failures, never
 * with the number of events.
 */
export class CreateParkedEvents1730000000004 implements MigrationInterface {
  name = 'CreateParkedEvents1730000000004';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE parked_events (
        consumer_group text NOT NULL,
        topic text NOT NULL,
        partition int NOT NULL,
        kafka_offset bigint NOT NULL,
        event_id uuid,
        parked_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer_group, topic, partition, kafka_offset)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE parked_events`);
  }
}
