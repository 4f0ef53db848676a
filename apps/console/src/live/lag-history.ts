/** What the lag view needs of one measurement of a group. */
export interface GroupMeasurement {
  group: string;
  totalLag: number;
  /** Committed offset per `<topic>:<partition>`. */
  committed: Record<string, string>;
}

export interface GroupTrend {
  /** Sample times (Unix seconds) and total lag at each, oldest first: the sparkline. */
  times: number[];
  lags: number[];
  /**
   * The group has lag and none of its committed positions has moved for at least `stalledAfterMs`:
   * nothing is consuming (every instance stopped, or stuck on a partition).
   */
  stalled: boolean;
  /** Since when its positions have not moved (ISO-8601); null when it has no lag. */
  stalledSince: string | null;
}

/**
 * The last minutes of each group's lag, and whether it has stopped moving. Plain state fed one
 * measurement per sample; the oldest samples fall off past `capacity`.
 */
export class LagHistory {
  private readonly groups = new Map<string, { times: number[]; lags: number[]; committed: Record<string, string>; movedAt: number }>();

  constructor(private readonly options: { capacity: number; stalledAfterMs: number }) {}

  record(measurement: GroupMeasurement, at: number): GroupTrend {
    let entry = this.groups.get(measurement.group);
    if (!entry) {
      entry = { times: [], lags: [], committed: measurement.committed, movedAt: at };
      this.groups.set(measurement.group, entry);
    }
    if (!sameOffsets(entry.committed, measurement.committed) || measurement.totalLag === 0) entry.movedAt = at;
    entry.committed = measurement.committed;
    entry.times.push(Math.round(at / 1000));
    entry.lags.push(measurement.totalLag);
    if (entry.times.length > this.options.capacity) {
      entry.times.shift();
      entry.lags.shift();
    }
    const stalled = measurement.totalLag > 0 && at - entry.movedAt >= this.options.stalledAfterMs;
    return {
      times: [...entry.times],
      lags: [...entry.lags],
      stalled,
      stalledSince: measurement.totalLag > 0 ? new Date(entry.movedAt).toISOString() : null,
    };
  }
}

function sameOffsets(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}
