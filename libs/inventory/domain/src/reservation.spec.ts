import { decideReservation, releaseReservation, setOnHand, StockLevel } from './reservation';

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
