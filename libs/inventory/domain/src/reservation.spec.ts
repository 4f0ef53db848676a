import { applyStockRun, decideReservation, releaseReservation, setOnHand, skusOfRun, StockLevel } from './reservation';

const stock = (...levels: StockLevel[]) => new Map(levels.map((level) => [level.sku, level]));

describe('decideReservation', () => {
  it('reserves every line when all are available', () => {
    const decision = decideReservation(
      [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 5 }],
      stock({ sku: 'A', onHand: 10, reserved: 8 }, { sku: 'B', onHand: 5, reserved: 0 }),
    );
    expect(decision).toEqual({
      status: 'RESERVED',
      lines: [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 5 }],
      stock: [{ sku: 'A', onHand: 10, reserved: 10 }, { sku: 'B', onHand: 5, reserved: 5 }],
    });
  });

  it('rejects the whole order when one line falls short, and says by how much', () => {
    const decision = decideReservation(
      [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 6 }],
      stock({ sku: 'A', onHand: 10, reserved: 0 }, { sku: 'B', onHand: 5, reserved: 1 }),
    );
    expect(decision).toEqual({ status: 'REJECTED', reason: { code: 'INVENTORY.INSUFFICIENT_STOCK', sku: 'B', requested: 6, available: 4 } });
  });

  it('rejects an unknown SKU', () => {
    expect(decideReservation([{ sku: 'Z', quantity: 1 }], stock())).toEqual({ status: 'REJECTED', reason: { code: 'INVENTORY.UNKNOWN_SKU', sku: 'Z' } });
  });

  it('adds up lines naming the same SKU: [{A,10},{A,10}] is 20 of A, never 20 reserved of 10', () => {
    const twice = [{ sku: 'A', quantity: 10 }, { sku: 'A', quantity: 10 }];
    expect(decideReservation(twice, stock({ sku: 'A', onHand: 10, reserved: 0 }))).toEqual({
      status: 'REJECTED',
      reason: { code: 'INVENTORY.INSUFFICIENT_STOCK', sku: 'A', requested: 20, available: 10 },
    });
    expect(decideReservation(twice, stock({ sku: 'A', onHand: 25, reserved: 0 }))).toEqual({
      status: 'RESERVED',
      lines: twice,
      stock: [{ sku: 'A', onHand: 25, reserved: 20 }],
    });
  });

  it('gives back a repeated SKU in full on release', () => {
    const twice = [{ sku: 'A', quantity: 10 }, { sku: 'A', quantity: 10 }];
    expect(releaseReservation(twice, stock({ sku: 'A', onHand: 25, reserved: 20 }))).toEqual([{ sku: 'A', onHand: 25, reserved: 0 }]);
  });
});

describe('setOnHand', () => {
  it('creates or updates a level, keeping what is reserved', () => {
    expect(setOnHand(undefined, 'A', 7)).toEqual({ ok: true, level: { sku: 'A', onHand: 7, reserved: 0 } });
    expect(setOnHand({ sku: 'A', onHand: 7, reserved: 3 }, 'A', 3)).toEqual({ ok: true, level: { sku: 'A', onHand: 3, reserved: 3 } });
  });

  it('refuses to go below the reserved quantity', () => {
    expect(setOnHand({ sku: 'A', onHand: 7, reserved: 3 }, 'A', 2)).toMatchObject({ ok: false, code: 'INVENTORY.BELOW_RESERVED' });
  });
});

describe('releaseReservation', () => {
  it('gives back exactly what was reserved', () => {
    expect(releaseReservation([{ sku: 'A', quantity: 2 }], stock({ sku: 'A', onHand: 10, reserved: 5 }))).toEqual([{ sku: 'A', onHand: 10, reserved: 3 }]);
  });
});

describe('applyStockRun', () => {
  const placed = (orderId: string, ...lines: [string, number][]) => ({ kind: 'PLACED' as const, orderId, lines: lines.map(([sku, quantity]) => ({ sku, quantity })) });
  const cancelled = (orderId: string) => ({ kind: 'CANCELLED' as const, orderId });

  it('decides placed orders in order, each seeing the stock the earlier ones left', () => {
    const run = applyStockRun(
      [placed('o1', ['A', 3]), placed('o2', ['A', 2], ['B', 1]), placed('o3', ['B', 1]), placed('o4', ['C', 1])],
      new Map(),
      stock({ sku: 'B', onHand: 5, reserved: 4 }, { sku: 'A', onHand: 4, reserved: 0 }),
    );
    expect(run.announcements.map((each) => [each.orderId, each.kind])).toEqual([
      ['o1', 'RESERVED'],
      ['o2', 'REJECTED'],
      ['o3', 'RESERVED'],
      ['o4', 'REJECTED'],
    ]);
    expect(run.announcements[1]).toMatchObject({ reason: { code: 'INVENTORY.INSUFFICIENT_STOCK', sku: 'A', requested: 2, available: 1 } });
    expect(run.reservations.get('o2')).toEqual({ status: 'REJECTED', lines: [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }], reason: expect.objectContaining({ code: 'INVENTORY.INSUFFICIENT_STOCK' }) });
    // Only what changed, once, sorted by SKU: what the caller writes back.
    expect(run.changed).toEqual([{ sku: 'A', onHand: 4, reserved: 3 }, { sku: 'B', onHand: 5, reserved: 5 }]);
  });

  it('releases a reservation made earlier or in the same run, and the freed stock serves later orders', () => {
    const known = new Map([['o0', { status: 'RESERVED' as const, lines: [{ sku: 'A', quantity: 2 }], reason: null }]]);
    const run = applyStockRun(
      [placed('o1', ['A', 1]), cancelled('o0'), cancelled('o1'), placed('o2', ['A', 3]), cancelled('o1')],
      known,
      stock({ sku: 'A', onHand: 3, reserved: 2 }),
    );
    expect(run.announcements.map((each) => [each.orderId, each.kind, each.factIndex])).toEqual([
      ['o1', 'RESERVED', 0],
      ['o0', 'RELEASED', 1],
      ['o1', 'RELEASED', 2],
      ['o2', 'RESERVED', 3],
    ]);
    expect(run.reservations.get('o0')?.status).toBe('RELEASED');
    expect(run.reservations.get('o1')?.status).toBe('RELEASED');
    expect(run.changed).toEqual([{ sku: 'A', onHand: 3, reserved: 3 }]);
    expect(known.get('o0')?.status).toBe('RESERVED');
  });

  it('marks an order cancelled before it was placed, so the late order-placed reserves nothing', () => {
    const run = applyStockRun([cancelled('o1'), placed('o1', ['A', 1]), placed('o1', ['A', 1])], new Map(), stock({ sku: 'A', onHand: 5, reserved: 0 }));
    expect(run.reservations.get('o1')).toEqual({ status: 'CANCELLED', lines: [], reason: { code: 'ORDERS.CANCELLED_BY_CUSTOMER' } });
    expect(run.announcements).toEqual([]);
    expect(run.changed).toEqual([]);
  });

  it('reserves a repeated order-placed once and leaves rejected orders alone on cancel', () => {
    const known = new Map([['r', { status: 'REJECTED' as const, lines: [{ sku: 'A', quantity: 9 }], reason: { code: 'INVENTORY.INSUFFICIENT_STOCK' } }]]);
    const run = applyStockRun([placed('o1', ['A', 1]), placed('o1', ['A', 1]), cancelled('r')], known, stock({ sku: 'A', onHand: 5, reserved: 0 }));
    expect(run.announcements.map((each) => each.kind)).toEqual(['RESERVED']);
    expect(run.changed).toEqual([{ sku: 'A', onHand: 5, reserved: 1 }]);
    expect(run.reservations.has('r')).toBe(false);
  });

  it('names the SKUs a run needs: placed lines and what cancelled orders hold', () => {
    const known = new Map([['o0', { status: 'RESERVED' as const, lines: [{ sku: 'Z', quantity: 1 }], reason: null }]]);
    expect(skusOfRun([placed('o1', ['B', 1], ['A', 1]), cancelled('o0'), cancelled('unknown')], known)).toEqual(['A', 'B', 'Z']);
  });
});
