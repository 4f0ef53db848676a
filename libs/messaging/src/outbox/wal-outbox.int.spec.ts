import { anOrderPlacedV1, OrderPlacedV1 } from '@relay/contracts';
import { integrationEnv, openTestDataSource, uniqueName } from '@relay/testing';
import { outboxEntry } from './outbox-writer';
import { appendEventsToWalOutbox } from './wal-outbox.writer';
import { compareWalSequences, sequenceText, WalOutboxBatch, WalOutboxReader, WalOutboxReaderOptions } from './wal-outbox.reader';
import { walOutboxPrefix } from './wal-outbox.message';

jest.setTimeout(60_000);

describe('WAL outbox (logical decoding messages) against real PostgreSQL', () => {
  const env = integrationEnv();
  const schema = uniqueName('it_wal_outbox');
  const readers: WalOutboxReader[] = [];
  let dataSource: Awaited<ReturnType<typeof openTestDataSource>>;

  /** A reader on a slot of this test's own, created before the test writes anything. */
  async function newReader(options: Partial<WalOutboxReaderOptions> = {}): Promise<WalOutboxReader> {
    const reader = new WalOutboxReader({ databaseUrl: env.databaseUrl, schema, slotName: uniqueName('it_wal_slot'), ...options });
    readers.push(reader);
    await reader.ensureSlot();
    return reader;
  }

  const write = (...events: Array<ReturnType<typeof anOrderPlacedV1>>) =>
    dataSource.transaction((manager) => appendEventsToWalOutbox(manager, events.map((event) => outboxEntry(OrderPlacedV1, event))));
  const eventIds = (batch: WalOutboxBatch | undefined) => batch?.messages.map((message) => JSON.parse(message.value.toString('utf8')).eventId as string);
  const expectIncreasing = (batch: WalOutboxBatch) => {
    for (let i = 1; i < batch.messages.length; i++) {
      expect(compareWalSequences(batch.messages[i - 1].sequence, batch.messages[i].sequence)).toBeLessThan(0);
      // The text form (a Kafka header, a database column) sorts the same way.
      expect(sequenceText(batch.messages[i - 1].sequence) < sequenceText(batch.messages[i].sequence)).toBe(true);
    }
  };

  beforeAll(async () => {
    dataSource = await openTestDataSource(env.databaseUrl, schema, { entities: [], migrations: [] });
  });

  afterAll(async () => {
    for (const reader of readers) {
      await reader.release();
      await reader.dropSlot();
      await reader.close();
    }
    await dataSource?.drop();
  });

  it('returns committed events in commit order with increasing sequences, routed as written', async () => {
    const reader = await newReader();
    const first = [anOrderPlacedV1(), anOrderPlacedV1(), anOrderPlacedV1()];
    const second = anOrderPlacedV1();
    await write(...first);
    await write(second);

    const batch = (await reader.read())!;
    expect(eventIds(batch)).toEqual([...first, second].map((event) => event.eventId));
    expectIncreasing(batch);
    // One transaction: one commit LSN, indexes in emit order.
    expect(batch.messages.slice(0, 3).map((message) => message.sequence.index)).toEqual([0, 1, 2]);
    expect(new Set(batch.messages.slice(0, 3).map((message) => message.sequence.commitLsn)).size).toBe(1);
    expect(batch.messages[3].sequence).toEqual({ commitLsn: expect.any(BigInt), index: 0 });
    expect(sequenceText(batch.messages[2].sequence)).toMatch(/^[0-9a-f]{16}-0000000000000002$/);
    expect(batch.messages[0]).toMatchObject({
      topic: OrderPlacedV1.topic,
      key: first[0].data.orderId,
      headers: { 'x-event-type': OrderPlacedV1.pattern, 'x-correlation-id': first[0].correlationId },
    });
    expect(JSON.parse(batch.messages[0].value.toString('utf8'))).toEqual(first[0]);
    await reader.confirm(batch);
  });

  it('keeps the order of the events one statement emits', async () => {
    const reader = await newReader();
    const events = Array.from({ length: 200 }, () => anOrderPlacedV1());
    await write(...events);
    const batch = (await reader.read())!;
    expect(eventIds(batch)).toEqual(events.map((event) => event.eventId));
    expect(batch.messages.map((message) => message.sequence.index)).toEqual(events.map((_, index) => index));
    await reader.confirm(batch);
  });

  it('hands the relay the very bytes of each envelope, whatever its text holds (quotes, backslashes, non-ASCII)', async () => {
    const reader = await newReader();
    const events = [
      anOrderPlacedV1({ customerId: 'say "hi" \\ to C:\\orders\\new' }, { correlationId: 'a "quoted", {braced} [flow]' }),
      anOrderPlacedV1({ customerId: 'Zoë Ünal 李 🚚 \u2028 tab\tend' }),
    ];
    await write(...events);
    const batch = (await reader.read())!;
    expect(batch.messages.map((message) => message.value.toString('utf8'))).toEqual(events.map((event) => JSON.stringify(event)));
    expect(batch.messages.map((message) => message.headers['x-correlation-id'])).toEqual(events.map((event) => event.correlationId));
    await reader.confirm(batch);
  });

  it('orders by commit, not by start: a transaction that emitted first but committed last comes out last, with the higher sequence', async () => {
    const reader = await newReader();
    const early = anOrderPlacedV1();
    const late = anOrderPlacedV1();
    const t1 = dataSource.createQueryRunner();
    await t1.connect();
    try {
      await t1.startTransaction();
      await appendEventsToWalOutbox(t1.manager, [outboxEntry(OrderPlacedV1, early)]);
      // T2 emits after T1 (a higher WAL position for its message) and commits before it.
      await write(late);
      await t1.commitTransaction();
    } finally {
      await t1.release();
    }

    const batch = (await reader.read())!;
    expect(eventIds(batch)).toEqual([late.eventId, early.eventId]);
    expect(compareWalSequences(batch.messages[1].sequence, batch.messages[0].sequence)).toBeGreaterThan(0);
    await reader.confirm(batch);
  });

  it('never returns the events of a rolled-back transaction', async () => {
    const reader = await newReader();
    const rolledBack = anOrderPlacedV1();
    const committed = anOrderPlacedV1();
    await expect(
      dataSource.transaction(async (manager) => {
        await appendEventsToWalOutbox(manager, [outboxEntry(OrderPlacedV1, rolledBack)]);
        throw new Error('the order failed to save');
      }),
    ).rejects.toThrow('the order failed to save');
    await write(committed);

    const batch = (await reader.read())!;
    expect(eventIds(batch)).toEqual([committed.eventId]);
    await reader.confirm(batch);
  });

  it('reads the same events with the same sequences until confirmed, also after a crash, and never after', async () => {
    const reader = await newReader();
    const events = [anOrderPlacedV1(), anOrderPlacedV1()];
    await write(events[0]);
    await write(events[1]);

    const first = (await reader.read())!;
    await reader.release();
    const again = (await reader.read())!;
    expect(again.messages).toEqual(first.messages);
    // A relay that dies after the Kafka ack, before confirming: its session ends, the slot stays.
    await reader.close();
    const successor = await newReader({ slotName: reader.slotName });
    const afterCrash = (await successor.read())!;
    expect(afterCrash.messages).toEqual(first.messages);
    expect(eventIds(afterCrash)).toEqual(events.map((event) => event.eventId));

    await successor.confirm(afterCrash);
    expect((await successor.read())!.messages).toEqual([]);
    await successor.release();
    const later = anOrderPlacedV1();
    await write(later);
    const next = (await successor.read())!;
    expect(eventIds(next)).toEqual([later.eventId]);
    expect(compareWalSequences(next.messages[0].sequence, first.messages[1].sequence)).toBeGreaterThan(0);
    await successor.confirm(next);
  });

  it("ignores other schemas' messages and other prefixes, and moves past them", async () => {
    const reader = await newReader();
    const ours = anOrderPlacedV1();
    await dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_logical_emit_message(true, $1, 'another schema''s event')`, [walOutboxPrefix(`${schema}_other`)]);
      await manager.query(`SELECT pg_logical_emit_message(true, 'someone.else', 'not an outbox message')`);
      await manager.query(`SELECT pg_logical_emit_message(false, $1, 'not transactional')`, [walOutboxPrefix(schema)]);
    });
    await write(ours);
    const [{ lastOther }] = await dataSource.query(`SELECT pg_logical_emit_message(true, $1, 'another schema''s event')::text AS "lastOther"`, [
      walOutboxPrefix(`${schema}_other`),
    ]);

    const batch = (await reader.read())!;
    expect(eventIds(batch)).toEqual([ours.eventId]);
    await reader.confirm(batch);
    const [{ passed }] = await dataSource.query(`SELECT confirmed_flush_lsn >= $2::pg_lsn AS passed FROM pg_replication_slots WHERE slot_name = $1`, [
      reader.slotName,
      lastOther,
    ]);
    expect(passed).toBe(true);
  });

  it('moves past WAL with no outbox message only once there is 1 MiB of it, to spare a move per empty read', async () => {
    const reader = await newReader();
    const confirmedFlush = async () =>
      (await dataSource.query(`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [reader.slotName]))[0].lsn as string;
    const emitOther = async (bytes: number) =>
      (await dataSource.query(`SELECT pg_logical_emit_message(true, 'someone.else', repeat('x', $1))::text AS lsn`, [bytes]))[0].lsn as string;

    const start = await confirmedFlush();
    await emitOther(100);
    const small = (await reader.read())!;
    expect(small.messages).toEqual([]);
    await reader.confirm(small);
    expect(await confirmedFlush()).toBe(start);

    const bigEnd = await emitOther(1024 * 1024 + 1);
    const big = (await reader.read())!;
    expect(big.messages).toEqual([]);
    await reader.confirm(big);
    const [{ passed }] = await dataSource.query(`SELECT $1::pg_lsn >= $2::pg_lsn AS passed`, [await confirmedFlush(), bigEnd]);
    expect(passed).toBe(true);
  });

  it('splits a backlog into batches of whole transactions, in order across batches', async () => {
    // 3 rows per one-event transaction (Begin, Message, Commit): a limit of 4 rows stops after 2 transactions.
    const reader = await newReader({ maxChanges: 4 });
    const events = Array.from({ length: 5 }, () => anOrderPlacedV1());
    for (const event of events) await write(event);

    const seen: string[] = [];
    const sizes: number[] = [];
    for (let batch = await reader.read(); batch && batch.messages.length > 0; batch = await reader.read()) {
      expectIncreasing(batch);
      seen.push(...eventIds(batch)!);
      sizes.push(batch.messages.length);
      await reader.confirm(batch);
    }
    await reader.release();
    expect(seen).toEqual(events.map((event) => event.eventId));
    expect(sizes).toEqual([2, 2, 1]);
  });

  it("moves the slot's restart position along with its confirms, so reads do not decode old WAL again", async () => {
    const reader = await newReader({ restartLagLimitBytes: 0 });
    const round = async () => {
      await write(anOrderPlacedV1());
      const batch = (await reader.read())!;
      expect(batch.messages).toHaveLength(1);
      await reader.confirm(batch);
      return (await dataSource.query(`SELECT restart_lsn::text AS lsn, now() AS at FROM pg_replication_slots WHERE slot_name = $1`, [reader.slotName]))[0] as {
        lsn: string;
        at: Date;
      };
    };
    // The slot's creation wrote a running-transactions record; the first confirm applies it.
    const first = await round();
    // From here on only the reader's own records (the server's come every 15 s): round 2's confirm
    // writes one, round 3 decodes it and its confirm moves the restart position up to it.
    await round();
    const third = await round();
    // A transaction of another test that was already open holds the restart position back by design.
    const [{ heldBack }] = await dataSource.query(
      `SELECT count(*)::int > 0 AS "heldBack" FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND xact_start < $1 AND pid <> pg_backend_pid()`,
      [first.at],
    );
    const [{ moved }] = await dataSource.query(`SELECT $1::pg_lsn > $2::pg_lsn AS moved`, [third.lsn, first.lsn]);
    expect(moved || heldBack).toBe(true);
  });

  it('refuses a slot of the same name that is not a pgoutput slot of this database (slot names are server-wide)', async () => {
    const slotName = uniqueName('it_wal_physical');
    await dataSource.query(`SELECT pg_create_physical_replication_slot($1)`, [slotName]);
    const reader = new WalOutboxReader({ databaseUrl: env.databaseUrl, schema, slotName });
    try {
      await expect(reader.ensureSlot()).rejects.toThrow(`replication slot ${slotName} belongs to database (none: a physical slot)`);
    } finally {
      await reader.close();
      await dataSource.query(`SELECT pg_drop_replication_slot($1)`, [slotName]);
    }
  });

  it('lets one reader at a time hold the slot; the other stands by', async () => {
    const reader = await newReader();
    const standby = await newReader({ slotName: reader.slotName });
    const event = anOrderPlacedV1();
    await write(event);

    const batch = (await reader.read())!;
    expect(await standby.read()).toBeUndefined();
    await reader.confirm(batch);
    expect((await standby.read())!.messages).toEqual([]);
    await standby.release();
  });
});
