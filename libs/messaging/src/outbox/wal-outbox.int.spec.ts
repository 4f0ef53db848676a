import { randomUUID } from 'node:crypto';
import { anOrderPlacedV1, OrderPlacedV1 } from '@relay/contracts';
import { integrationEnv, openTestDataSource, uniqueName, waitFor } from '@relay/testing';
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

  /** The walsender ends a moment after its connection: a successor stands by until then. */
  const readWhenFree = (reader: WalOutboxReader) => waitFor(() => reader.read({ catchUp: true }), { description: `the slot ${reader.slotName} free` });
  const walsenderOf = async (reader: WalOutboxReader) =>
    (await dataSource.query(`SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1`, [reader.slotName]))[0].pid as number | null;

  const write = (...events: Array<ReturnType<typeof anOrderPlacedV1>>) =>
    dataSource.transaction((manager) => appendEventsToWalOutbox(manager, events.map((event) => outboxEntry(OrderPlacedV1, event))));
  /** `early` is emitted in a transaction T1 that is still open when `late` commits in T2; T1 commits last. */
  async function commitInterleaved(early: ReturnType<typeof anOrderPlacedV1>, late: ReturnType<typeof anOrderPlacedV1>, options: { xidFirst?: boolean } = {}): Promise<void> {
    const t1 = dataSource.createQueryRunner();
    await t1.connect();
    try {
      await t1.startTransaction();
      if (options.xidFirst) await t1.query(`SELECT pg_current_xact_id()`);
      await appendEventsToWalOutbox(t1.manager, [outboxEntry(OrderPlacedV1, early)]);
      await write(late);
      await t1.commitTransaction();
    } finally {
      await t1.release();
    }
  }
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
    // Readers share slots (a standby, a successor): every connection ends before any slot is dropped.
    for (const reader of readers) await reader.close();
    for (const reader of readers) {
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

    const batch = (await reader.read({ catchUp: true }))!;
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
    const batch = (await reader.read({ catchUp: true }))!;
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
    const batch = (await reader.read({ catchUp: true }))!;
    expect(batch.messages.map((message) => message.value.toString('utf8'))).toEqual(events.map((event) => JSON.stringify(event)));
    expect(batch.messages.map((message) => message.headers['x-correlation-id'])).toEqual(events.map((event) => event.correlationId));
    await reader.confirm(batch);
  });

  it('orders by commit, not by start: a transaction that emitted first but committed last comes out last, with the higher sequence', async () => {
    const reader = await newReader();
    const early = anOrderPlacedV1();
    const late = anOrderPlacedV1();
    // T2 emits after T1 (a higher WAL position for its message) and commits before it.
    await commitInterleaved(early, late);

    const batch = (await reader.read({ catchUp: true }))!;
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

    const batch = (await reader.read({ catchUp: true }))!;
    expect(eventIds(batch)).toEqual([committed.eventId]);
    await reader.confirm(batch);
  });

  it('reads the same events with the same sequences until confirmed, also after a crash, and never after', async () => {
    const reader = await newReader();
    const events = [anOrderPlacedV1(), anOrderPlacedV1()];
    await write(events[0]);
    await write(events[1]);

    const first = (await reader.read({ catchUp: true }))!;
    await reader.release();
    const again = (await reader.read({ catchUp: true }))!;
    expect(again.messages).toEqual(first.messages);
    // A relay that dies after the Kafka ack, before confirming: its session ends, the slot stays.
    await reader.close();
    const successor = await newReader({ slotName: reader.slotName });
    const afterCrash = await readWhenFree(successor);
    expect(afterCrash.messages).toEqual(first.messages);
    expect(eventIds(afterCrash)).toEqual(events.map((event) => event.eventId));

    await successor.confirm(afterCrash);
    expect((await successor.read({ catchUp: true }))!.messages).toEqual([]);
    await successor.release();
    const later = anOrderPlacedV1();
    await write(later);
    const next = (await successor.read({ catchUp: true }))!;
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

    const batch = (await reader.read({ catchUp: true }))!;
    expect(eventIds(batch)).toEqual([ours.eventId]);
    await reader.confirm(batch);
    const [{ passed }] = await dataSource.query(`SELECT confirmed_flush_lsn >= $2::pg_lsn AS passed FROM pg_replication_slots WHERE slot_name = $1`, [
      reader.slotName,
      lastOther,
    ]);
    expect(passed).toBe(true);
  });

  it('moves past WAL with no outbox message of its schema, so that the slot does not keep it', async () => {
    const reader = await newReader();
    const confirmedFlush = async () =>
      (await dataSource.query(`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [reader.slotName]))[0].lsn as string;
    const [{ otherEnd }] = await dataSource.query(`SELECT pg_logical_emit_message(true, 'someone.else', repeat('x', 100))::text AS "otherEnd"`);
    const batch = (await reader.read({ catchUp: true }))!;
    expect(batch.messages).toEqual([]);
    await reader.confirm(batch);
    // A status update without an answer: the walsender takes it a moment later.
    await waitFor(async () => (await dataSource.query(`SELECT $1::pg_lsn >= $2::pg_lsn AS passed`, [await confirmedFlush(), otherEnd]))[0].passed === true, {
      description: 'the slot past the other message',
    });
  });

  it('splits a backlog into batches of whole transactions, in order across batches', async () => {
    // 3 rows per one-event transaction (Begin, Message, Commit): a limit of 4 rows stops after 2 transactions.
    const reader = await newReader({ maxChanges: 4 });
    const events = Array.from({ length: 5 }, () => anOrderPlacedV1());
    for (const event of events) await write(event);

    const seen: string[] = [];
    const sizes: number[] = [];
    for (let batch = await reader.read({ catchUp: true }); batch && batch.messages.length > 0; batch = await reader.read({ catchUp: true })) {
      expectIncreasing(batch);
      seen.push(...eventIds(batch)!);
      sizes.push(batch.messages.length);
      await reader.confirm(batch);
    }
    await reader.release();
    expect(seen).toEqual(events.map((event) => event.eventId));
    expect(sizes).toEqual([2, 2, 1]);
  });

  it("moves the slot's restart position along with its confirms, at the running-transactions records the server writes", async () => {
    const reader = await newReader();
    const restart = async () =>
      (await dataSource.query(`SELECT restart_lsn::text AS lsn, now() AS at FROM pg_replication_slots WHERE slot_name = $1`, [reader.slotName]))[0] as { lsn: string; at: Date };
    const first = await restart();
    const round = async () => {
      await write(anOrderPlacedV1());
      // The server writes one about every 15 s while there is activity; the test does not wait for it.
      await dataSource.query(`SELECT pg_log_standby_snapshot()`);
      const batch = (await reader.read({ catchUp: true }))!;
      expect(batch.messages).toHaveLength(1);
      await reader.confirm(batch);
    };
    await round();
    await round();
    await round();
    // A transaction of another test that was already open holds the restart position back by design.
    const [{ heldBack }] = await dataSource.query(
      `SELECT count(*)::int > 0 AS "heldBack" FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND xact_start < $1 AND pid <> pg_backend_pid()`,
      [first.at],
    );
    const [{ moved }] = await dataSource.query(`SELECT $1::pg_lsn > $2::pg_lsn AS moved`, [(await restart()).lsn, first.lsn]);
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

  it('lets one reader at a time hold the slot; the other stands by, and takes over with the same sequences when its connection dies', async () => {
    const reader = await newReader();
    const standby = await newReader({ slotName: reader.slotName });
    const events = [anOrderPlacedV1(), anOrderPlacedV1()];
    await write(events[0]);
    await write(events[1]);

    const batch = (await reader.read({ catchUp: true }))!;
    expect(eventIds(batch)).toEqual(events.map((event) => event.eventId));
    expect(await standby.read({ catchUp: true })).toBeUndefined();
    // The walsender holds the slot for the whole connection, not per batch.
    await reader.release();
    expect(await standby.read({ catchUp: true })).toBeUndefined();
    const again = (await reader.read({ catchUp: true }))!;

    // The active reader's connection dies (its process killed, a network cut) before it confirmed.
    const pid = await walsenderOf(reader);
    await dataSource.query(`SELECT pg_terminate_backend($1, 10000)`, [pid]);
    const takenOver = await readWhenFree(standby);
    expect(takenOver.messages).toEqual(again.messages);
    await expect(reader.confirm(again)).rejects.toThrow();
    await standby.confirm(takenOver);
    expect(await walsenderOf(standby)).not.toBe(pid);
    expect((await standby.read({ catchUp: true }))!.messages).toEqual([]);
    await standby.release();
  });

  it('fences a reader whose batch stays open past idleInTransactionTimeoutMs: a standby takes the slot and the same sequences, the late confirm fails', async () => {
    const fenceMs = 1_500;
    const reader = await newReader({ idleInTransactionTimeoutMs: fenceMs });
    const standby = await newReader({ slotName: reader.slotName, idleInTransactionTimeoutMs: fenceMs });
    await write(anOrderPlacedV1());

    // The reader takes a batch and then stalls (a Kafka send that hangs, a frozen event loop).
    const stalled = (await reader.read({ catchUp: true }))!;
    expect(stalled.messages).toHaveLength(1);
    const openedAt = Date.now();
    const takenOver = await waitFor(() => standby.read({ catchUp: true }), { timeoutMs: 10 * fenceMs, intervalMs: 100, description: `the standby to take ${reader.slotName}` });
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(fenceMs);
    expect(takenOver.messages).toEqual(stalled.messages);
    await expect(reader.confirm(stalled)).rejects.toThrow(/stayed open longer than 1500 ms/);
    await standby.confirm(takenOver);
    expect((await standby.read({ catchUp: true }))!.messages).toEqual([]);
    await standby.release();
  });

  it('delivers two transactions that committed out of their xid order in commit order, while the stream runs', async () => {
    const reader = await newReader();
    await reader.read({ catchUp: true }).then(() => reader.release());
    const [early, late] = [anOrderPlacedV1(), anOrderPlacedV1()];
    // T1 takes its xid first (as an ordinary write would), T2 takes a later one and commits first.
    await commitInterleaved(early, late, { xidFirst: true });
    const batch = (await reader.read({ catchUp: true }))!;
    expect(eventIds(batch)).toEqual([late.eventId, early.eventId]);
    expect(batch.messages[1].xid).toBeLessThan(batch.messages[0].xid);
    expectIncreasing(batch);
    await reader.confirm(batch);
  });

  it('stops reading its connection past maxBufferedBytes and reads on as batches are confirmed: memory stays bounded, every event delivered in order', async () => {
    const bound = 16 * 1024;
    const reader = await newReader({ maxBufferedBytes: bound, maxChanges: 30 });
    await reader.read({ catchUp: true }).then(() => reader.release());
    // 100 transactions of 10 events of about 1 KiB: about 1 MiB, 64 times the bound.
    const written: string[] = [];
    for (let transaction = 0; transaction < 100; transaction++) {
      const contents = Array.from({ length: 10 }, () => {
        const eventId = randomUUID();
        written.push(eventId);
        return `${JSON.stringify({ topic: 'it.padded', key: eventId, headers: {} })}\n${JSON.stringify({ eventId, padding: 'x'.repeat(900) })}`;
      });
      await dataSource.query(`SELECT pg_logical_emit_message(true, $1, content) FROM unnest($2::text[]) AS content`, [walOutboxPrefix(schema), contents]);
    }
    // Nobody takes anything: the reader fills up to the bound and stops there.
    await waitFor(() => reader.buffered().paused, { description: 'the reader paused' });
    // The bound, plus one transaction (read whole), plus the rest of one socket read (64 KiB).
    const ceiling = bound + 11 * 1024 + 64 * 1024;
    expect(reader.buffered().bytes).toBeLessThanOrEqual(ceiling);

    const seen: string[] = [];
    while (seen.length < written.length) {
      const batch = (await reader.read({ catchUp: true }))!;
      seen.push(...eventIds(batch)!);
      await reader.confirm(batch);
    }
    expect(seen).toEqual(written);
    expect(reader.buffered().highWaterBytes).toBeLessThanOrEqual(ceiling);
    expect(reader.buffered().highWaterBytes).toBeGreaterThanOrEqual(bound);
  });
});
