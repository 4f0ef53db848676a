import { placeOrder } from './order';

const identity = { id: '0b7d3f5e-4a53-4c4e-9d4f-3f8f0c6f2f10', now: new Date('2026-11-27T10:00:00Z') };

describe('placeOrder', () => {
  it('places a pending order with the given lines', () => {
    const result = placeOrder({ customerId: 'c-1', items: [{ sku: 'SKU-1', quantity: 2 }, { sku: 'SKU-2', quantity: 1 }] }, identity);
    expect(result).toEqual({
      ok: true,
      order: {
        id: identity.id,
        customerId: 'c-1',
        status: 'PENDING',
        statusReason: null,
        items: [{ sku: 'SKU-1', quantity: 2 }, { sku: 'SKU-2', quantity: 1 }],
        shippingAddress: null,
        createdAt: identity.now,
        updatedAt: identity.now,
      },
    });
  });

  it('rejects a SKU on two lines and names the second one', () => {
    const result = placeOrder({ customerId: 'c-1', items: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }, { sku: 'A', quantity: 3 }] }, identity);
    expect(result).toEqual({ ok: false, rejection: expect.objectContaining({ code: 'ORDERS.DUPLICATE_SKU', field: 'items.2.sku' }) });
  });
});
