import { decideReservation, decideReservations, releaseReservation, setOnHand, StockLevel } from './reservation';

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

describe('decideReservations', () => {
  it('decides a run in order, each order seeing the stock the earlier ones left', () => {
    const run = decideReservations(
      [
        { orderId: 'o1', lines: [{ sku: 'A', quantity: 3 }] },
        { orderId: 'o2', lines: [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }] },
        { orderId: 'o3', lines: [{ sku: 'B', quantity: 1 }] },
        { orderId: 'o4', lines: [{ sku: 'C', quantity: 1 }] },
      ],
      stock({ sku: 'B', onHand: 5, reserved: 4 }, { sku: 'A', onHand: 4, reserved: 0 }),
    );
    expect(run.decisions.map(({ orderId, decision }) => [orderId, decision.status])).toEqual([
      ['o1', 'RESERVED'],
      ['o2', 'REJECTED'],
      ['o3', 'RESERVED'],
      ['o4', 'REJECTED'],
    ]);
    expect(run.decisions[1].decision).toEqual({ status: 'REJECTED', reason: { code: 'INVENTORY.INSUFFICIENT_STOCK', sku: 'A', requested: 2, available: 1 } });
    // Only what changed, once, sorted by SKU: what the caller writes back.
    expect(run.changed).toEqual([{ sku: 'A', onHand: 4, reserved: 3 }, { sku: 'B', onHand: 5, reserved: 5 }]);
  });

  it('changes nothing when every order is rejected, and leaves the given map alone', () => {
    const given = stock({ sku: 'A', onHand: 1, reserved: 1 });
    const run = decideReservations([{ orderId: 'o1', lines: [{ sku: 'A', quantity: 1 }] }], given);
    expect(run.changed).toEqual([]);
    expect(given.get('A')).toEqual({ sku: 'A', onHand: 1, reserved: 1 });
  });
});
