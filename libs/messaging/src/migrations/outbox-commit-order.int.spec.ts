import { anOrderPlacedV1, OrderPlacedV1 } from '@relay/contracts';
import { integrationEnv, openTestDataSource, uniqueName } from '@relay/testing';
import { appendToOutbox } from '../outbox/append-events';
import { outboxPersistence } from './index';
import { CreateOutbox1730000000000 } from './1730000000000-create-outbox';

jest.setTimeout(60_000);

describe('OutboxCommitOrder migration against real PostgreSQL', () => {
  const env = integrationEnv();
  const schema = uniqueName('it_outbox_migration');
  const opened: Array<Awaited<ReturnType<typeof openTestDataSource>>> = [];

  afterAll(async () => {
    const [last, ...others] = opened.reverse();
    for (const each of others) await each.destroy();
    await last?.drop();
  });

  it('gives rows written before it transaction id 0, so they come first, and rows written after it their own', async () => {
    const before = await openTestDataSource(env.databaseUrl, schema, { entities: [], migrations: [CreateOutbox1730000000000] });
    opened.push(before);
    const old = anOrderPlacedV1();
    await before.transaction((manager) => appendToOutbox(manager, OrderPlacedV1, old));

    const after = await openTestDataSource(env.databaseUrl, schema, outboxPersistence);
    opened.push(after);
    const fresh = anOrderPlacedV1();
    const [{ writer }] = await after.transaction(async (manager) => {
      await appendToOutbox(manager, OrderPlacedV1, fresh);
      return manager.query(`SELECT pg_current_xact_id()::text AS writer`);
    });

    const rows = await after.query(`SELECT event_id::text AS event_id, tx_id::text AS tx FROM outbox ORDER BY outbox.tx_id, id`);
    expect(rows).toEqual([
      { event_id: old.eventId, tx: '0' },
      { event_id: fresh.eventId, tx: writer },
    ]);
    const indexes = await after.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'outbox' ORDER BY indexname`, [schema]);
    expect(indexes.map((index: { indexname: string }) => index.indexname)).toEqual(['outbox_event_id_key', 'outbox_pending_idx', 'outbox_pkey']);
  });
});
