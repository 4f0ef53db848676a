import { PICKUP_ROUTE, planDelivery, TIME_WINDOWS } from './delivery-plan';

const address = { line1: '1 rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };

describe('planDelivery', () => {
  it('delivers the next day in one of the windows', () => {
    const plan = planDelivery('4c1f3b8e-0000-4000-8000-000000000001', new Date('2026-12-31T23:30:00Z'), address);
    expect(plan.deliveryDate).toBe('2027-01-01');
    expect(TIME_WINDOWS).toContain(plan.timeWindow);
    expect(plan.route).toMatch(/^FR-R\d{2}$/);
  });

  it('is deterministic per order and address, and spreads orders over windows', () => {
    const placedAt = new Date('2026-11-27T10:00:00Z');
    expect(planDelivery('order-a', placedAt, address)).toEqual(planDelivery('order-a', placedAt, { ...address, postalCode: '75 002' }));
    const windows = new Set(Array.from({ length: 50 }, (_, i) => planDelivery(`order-${i}`, placedAt).timeWindow));
    expect(windows.size).toBeGreaterThan(1);
  });

  it('sends orders without an address to the pickup route', () => {
    expect(planDelivery('order-a', new Date()).route).toBe(PICKUP_ROUTE);
  });
});
