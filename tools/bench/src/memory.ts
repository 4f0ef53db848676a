import { readFileSync } from 'node:fs';

export interface MemoryFigures {
  label: string;
  service: string;
  pid: number;
  /** Highest VmRSS seen by the 500 ms sampler. */
  peakRssMb: number;
  /** The kernel's own high-water mark (VmHWM) at the last sample: catches peaks between samples. */
  hwmMb: number;
  /** Highest VmRSS per bench phase the process was alive in. */
  peakRssMbByPhase: Record<string, number>;
  samples: number;
}

function readStatus(pid: number): { rssKb: number; hwmKb: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
    const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(text);
    if (!rss || !hwm) return undefined;
    return { rssKb: Number(rss[1]), hwmKb: Number(hwm[1]) };
  } catch {
    return undefined;
  }
}

const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;

/** Samples /proc/<pid>/status of every tracked process every 500 ms (Linux only; elsewhere: nothing). */
export class MemorySampler {
  private readonly tracked = new Map<string, { service: string; pid: number; peakKb: number; hwmKb: number; byPhase: Map<string, number>; samples: number; alive: boolean }>();
  private phase = 'startup';
  private timer: NodeJS.Timeout | undefined;

  start(intervalMs = 500): void {
    this.timer ??= setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  setPhase(phase: string): void {
    this.sample();
    this.phase = phase;
  }

  track(label: string, service: string, pid: number): void {
    this.tracked.set(label, { service, pid, peakKb: 0, hwmKb: 0, byPhase: new Map(), samples: 0, alive: true });
    this.sample();
  }

  /** Takes a last sample (the process is about to stop). */
  untrack(label: string): void {
    const entry = this.tracked.get(label);
    if (!entry) return;
    this.sampleOne(entry);
    entry.alive = false;
  }

  private sample(): void {
    for (const entry of this.tracked.values()) if (entry.alive) this.sampleOne(entry);
  }

  private sampleOne(entry: { pid: number; peakKb: number; hwmKb: number; byPhase: Map<string, number>; samples: number; alive: boolean }): void {
    const status = readStatus(entry.pid);
    if (!status) return;
    entry.samples += 1;
    entry.peakKb = Math.max(entry.peakKb, status.rssKb);
    entry.hwmKb = Math.max(entry.hwmKb, status.hwmKb);
    entry.byPhase.set(this.phase, Math.max(entry.byPhase.get(this.phase) ?? 0, status.rssKb));
  }

  figures(): MemoryFigures[] {
    return [...this.tracked].map(([label, entry]) => ({
      label,
      service: entry.service,
      pid: entry.pid,
      peakRssMb: mb(entry.peakKb),
      hwmMb: mb(entry.hwmKb),
      peakRssMbByPhase: Object.fromEntries([...entry.byPhase].map(([phase, kb]) => [phase, mb(kb)])),
      samples: entry.samples,
    }));
  }
}
