import { planDelivery, TIME_WINDOWS } from './delivery-plan';

describe('planDelivery', () => {
  it('delivers the next day in one of the windows', () => {
    const plan = planDelivery('4c1f3b8e-0000-4000-8000-000000000001', new Date('2026-12-31T23:30:00Z'));
    expect(plan.deliveryDate).toBe('2027-01-01');
    expect(TIME_WINDOWS).toContain(plan.timeWindow);
    expect(plan.status).toBe('SCHEDULED');
  });

  it('is deterministic per order and spreads orders over windows', () => {
    const placedAt = new Date('2026-11-27T10:00:00Z');
    expect(planDelivery('order-a', placedAt)).toEqual(planDelivery('order-a', placedAt));
    const windows = new Set(Array.from({ length: 50 }, (_, i) => planDelivery(`order-${i}`, placedAt).timeWindow));
    expect(windows.size).toBeGreaterThan(1);
  });
});
