import { applyDeliveryFact, DeliveryFact, DeliveryOutcome, DeliveryState, NEW_DELIVERY } from './delivery-state';

const plan = { deliveryDate: '2026-11-28', timeWindow: '08:00-10:00', route: 'FR-R01' };
const placed: DeliveryFact = { kind: 'ORDER_PLACED', plan };
const reserved: DeliveryFact = { kind: 'STOCK_RESERVED' };
const rejected: DeliveryFact = { kind: 'STOCK_REJECTED' };
const cancelled: DeliveryFact = { kind: 'ORDER_CANCELLED' };

function run(facts: DeliveryFact[]): { state: DeliveryState; announcements: DeliveryOutcome[] } {
  let state = NEW_DELIVERY;
  const announcements: DeliveryOutcome[] = [];
  for (const fact of facts) {
    const result = applyDeliveryFact(state, fact);
    state = result.state;
    if (result.outcome.announce) announcements.push(result.outcome);
  }
  return { state, announcements };
}

describe('delivery state', () => {
  it('prepares on order placed and schedules once stock is reserved', () => {
    expect(run([placed]).state.status).toBe('PREPARED');
    expect(run([placed, reserved])).toEqual({ state: expect.objectContaining({ status: 'SCHEDULED', plan }), announcements: [{ announce: 'SCHEDULED' }] });
  });

  it('schedules whichever of the two facts arrives first', () => {
    expect(run([reserved]).state.status).toBe('PENDING');
    expect(run([reserved, placed]).announcements).toEqual([{ announce: 'SCHEDULED' }]);
  });

  it('cancels what it prepared when stock is rejected, in either order', () => {
    expect(run([placed, rejected]).announcements).toEqual([{ announce: 'CANCELLED', reason: 'STOCK_REJECTED' }]);
    expect(run([rejected, placed])).toEqual({ state: expect.objectContaining({ status: 'CANCELLED', plan: null }), announcements: [{ announce: 'CANCELLED', reason: 'STOCK_REJECTED' }] });
  });

  it('cancels a scheduled delivery when the order is cancelled', () => {
    expect(run([placed, reserved, cancelled]).announcements).toEqual([{ announce: 'SCHEDULED' }, { announce: 'CANCELLED', reason: 'ORDER_CANCELLED' }]);
  });

  it('announces each change once, however often facts repeat, and never leaves CANCELLED', () => {
    const { state, announcements } = run([placed, reserved, reserved, placed, cancelled, cancelled, reserved, placed]);
    expect(state.status).toBe('CANCELLED');
    expect(announcements).toHaveLength(2);
  });
});
