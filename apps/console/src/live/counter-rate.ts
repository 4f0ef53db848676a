/**
 * Per-second rates of counters read from several instances. A counter is a per-process total, so
 * each instance's rate is taken on its own: an instance that restarts (its counter back to 0) or
 * goes away contributes nothing for that sample instead of a negative or inflated rate.
 */
export class CounterRates {
  private readonly last = new Map<string, { value: number; at: number }>();

  /** The rate of `key` (e.g. `<instance url> <metric>`) since its previous reading; undefined on the first. */
  rate(key: string, value: number | undefined, at: number): number | undefined {
    const previous = this.last.get(key);
    if (value === undefined) {
      this.last.delete(key);
      return undefined;
    }
    this.last.set(key, { value, at });
    if (!previous || at <= previous.at || value < previous.value) return undefined;
    return ((value - previous.value) * 1000) / (at - previous.at);
  }
}
