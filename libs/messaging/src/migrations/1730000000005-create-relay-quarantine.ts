import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The events a relay could never publish (Kafka refused each of them alone for a reason that no
 * retry can change, e.g. MESSAGE_TOO_LARGE): kept here, whole, so that an operator can see them
 * and decide (outbox/relay-quarantine.ts; `npm run ops -- outbox quarantine`). The relay moves past
 * them in the same transaction that writes them (WAL: confirms the slot; table: stamps the row).
 *
 * Rows come only with unsendable events, never with the number of events. One row per event:
 * the producer and its sequence identify it, so an event quarantined again (a crash between the
 * insert and the confirm) is not kept twice.
 */
export class CreateRelayQuarantine1730000000005 implements MigrationInterface {
  name = 'CreateRelayQuarantine1730000000005';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE relay_quarantine (
        producer text NOT NULL,
        sequence text NOT NULL,
        event_id text,
        event_type text,
        topic text NOT NULL,
        message_key text,
        headers jsonb NOT NULL,
        value bytea NOT NULL,
        size_bytes int NOT NULL,
        limit_bytes int,
        reason text NOT NULL,
        error_message text NOT NULL,
        quarantined_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (producer, sequence)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE relay_quarantine`);
  }
}
