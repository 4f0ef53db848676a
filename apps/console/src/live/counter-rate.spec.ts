import { CounterRates } from './counter-rate';

describe('CounterRates', () => {
  it('is the increase per second since the previous reading', () => {
    const rates = new CounterRates();
    expect(rates.rate('a', 100, 0)).toBeUndefined();
    expect(rates.rate('a', 110, 2_000)).toBe(5);
  });

  it('an instance that restarted (counter reset) or vanished gives no rate rather than a wrong one', () => {
    const rates = new CounterRates();
    rates.rate('a', 100, 0);
    expect(rates.rate('a', 3, 1_000)).toBeUndefined();
    expect(rates.rate('a', 13, 2_000)).toBe(10);
    expect(rates.rate('a', undefined, 3_000)).toBeUndefined();
    expect(rates.rate('a', 20, 4_000)).toBeUndefined();
  });
});
