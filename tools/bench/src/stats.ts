/** Exact percentiles (nearest rank) over every sample; the bench keeps all samples, no histograms. */
export interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  min: number;
}

export function distribution(values: ArrayLike<number>): Distribution | null {
  const sorted = Float64Array.from(values).filter((value) => Number.isFinite(value));
  if (sorted.length === 0) return null;
  sorted.sort();
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    mean: round(sum / sorted.length, 2),
    p50: round(rank(50), 2),
    p95: round(rank(95), 2),
    p99: round(rank(99), 2),
    max: round(sorted[sorted.length - 1], 2),
    min: round(sorted[0], 2),
  };
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Least-squares slope of v over t (t in ms): units of v per second. 0 with fewer than 3 points. */
export function slopePerSecond(points: ReadonlyArray<{ t: number; v: number }>): number {
  if (points.length < 3) return 0;
  const n = points.length;
  const meanT = points.reduce((sum, p) => sum + p.t, 0) / n;
  const meanV = points.reduce((sum, p) => sum + p.v, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - meanT) * (p.v - meanV);
    den += (p.t - meanT) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 1000;
}

export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 1000) return `${formatNumber(value / 1000, 2)} s`;
  return `${formatNumber(value, Math.abs(value) < 10 ? 1 : 0)} ms`;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
