import { readdirSync, readFileSync } from 'node:fs';
import { round } from './stats';

/*
 * Samples, every 500 ms, the memory (VmRSS, VmHWM) of each service process and the CPU time of every
 * process the bench started: the services, the Kafka broker and PostgreSQL (the postmaster, its
 * backends and the backends it already reaped), the load generator, the bench itself, and the whole
 * machine (/proc/stat). CPU time is what makes the figures comparable on a busy shared machine: CPU
 * milliseconds per order do not depend on how much CPU other people's processes took.
 */

const CLOCK_TICKS_PER_SECOND = 100;

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

export interface CpuFigures {
  /** Process or group: a service label, `kafka`, `postgres`, `load generator`, `bench`, `other processes`. */
  label: string;
  /** CPU seconds (user + system) per phase. */
  secondsByPhase: Record<string, number>;
}

export interface MachinePhase {
  phase: string;
  wallSeconds: number;
  /** Busy share of all cores (100 % = every core busy the whole phase). */
  busyPct: number;
  /** CPU seconds used by everything on the machine during the phase. */
  busySeconds: number;
  /** Of those, by processes the bench did not start (other users of the machine). */
  otherSeconds: number;
  loadAverage: number;
}

interface StatLine {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, clock ticks */
  ticks: number;
  /** cutime + cstime: reaped children, clock ticks */
  childTicks: number;
}

function readStat(pid: number): StatLine | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
    return { pid, comm, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), childTicks: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return undefined;
  }
}

function allStats(): StatLine[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const stats: StatLine[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = values;
    return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
  } catch {
    return undefined;
  }
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

interface TrackedService {
  service: string;
  pid: number;
  peakKb: number;
  hwmKb: number;
  byPhase: Map<string, number>;
  samples: number;
  alive: boolean;
}

export class ProcessSampler {
  private readonly services = new Map<string, TrackedService>();
  private phase = 'startup';
  private phasePrefix = '';
  private timer: NodeJS.Timeout | undefined;
  /** Per label: the last cumulative CPU ticks seen for each pid (group members may come and go). */
  private readonly lastTicks = new Map<string, Map<number, number>>();
  private readonly cpu = new Map<string, Map<string, number>>();
  private lastMachine = machineTicks();
  private phaseStartedAt = Date.now();
  private readonly machinePhases: MachinePhase[] = [];
  private phaseBusyTicks = 0;
  private phaseOurTicks = 0;

  start(intervalMs = 500): void {
    this.timer ??= setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.sample();
    this.closeMachinePhase();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get currentPhase(): string {
    return this.phase;
  }

  /**
   * Every phase set from now on is recorded as `<prefix><phase>` (the insecure setting's
   * `insecure:rest`), so one sampler keeps both settings of a run apart without the phases knowing.
   */
  setPhasePrefix(prefix: string): void {
    this.phasePrefix = prefix;
  }

  setPhase(phase: string): void {
    this.sample();
    this.closeMachinePhase();
    this.phase = `${this.phasePrefix}${phase}`;
  }

  track(label: string, service: string, pid: number): void {
    this.services.set(label, { service, pid, peakKb: 0, hwmKb: 0, byPhase: new Map(), samples: 0, alive: true });
    this.sample();
  }

  /** Takes a last sample (the process is about to stop). */
  untrack(label: string): void {
    this.sample();
    const entry = this.services.get(label);
    if (entry) entry.alive = false;
  }

  private closeMachinePhase(): void {
    const wallSeconds = (Date.now() - this.phaseStartedAt) / 1000;
    if (wallSeconds > 0.5) {
      this.machinePhases.push({
        phase: this.phase,
        wallSeconds: round(wallSeconds, 1),
        busyPct: 0,
        busySeconds: round(this.phaseBusyTicks / CLOCK_TICKS_PER_SECOND, 1),
        otherSeconds: round(Math.max(0, this.phaseBusyTicks - this.phaseOurTicks) / CLOCK_TICKS_PER_SECOND, 1),
        loadAverage: 0,
      });
      const last = this.machinePhases[this.machinePhases.length - 1];
      const cores = Math.max(1, (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm) ?? []).length);
      last.busyPct = round((100 * last.busySeconds) / (wallSeconds * cores), 1);
      last.loadAverage = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
    }
    this.phaseStartedAt = Date.now();
    this.phaseBusyTicks = 0;
    this.phaseOurTicks = 0;
  }

  /** Adds the growth of a group's cumulative ticks since the last sample to the current phase. */
  private account(label: string, members: Array<{ pid: number; ticks: number }>): number {
    let known = this.lastTicks.get(label);
    if (!known) {
      known = new Map();
      this.lastTicks.set(label, known);
    }
    let delta = 0;
    for (const member of members) {
      const previous = known.get(member.pid);
      // A process first seen mid-run: its earlier CPU counts too if the group is new to the bench.
      delta += previous === undefined ? member.ticks : Math.max(0, member.ticks - previous);
      known.set(member.pid, member.ticks);
    }
    const byPhase = this.cpu.get(label) ?? new Map<string, number>();
    byPhase.set(this.phase, (byPhase.get(this.phase) ?? 0) + delta);
    this.cpu.set(label, byPhase);
    return delta;
  }

  private sample(): void {
    for (const entry of this.services.values()) {
      if (!entry.alive) continue;
      const status = readStatus(entry.pid);
      if (!status) continue;
      entry.samples += 1;
      entry.peakKb = Math.max(entry.peakKb, status.rssKb);
      entry.hwmKb = Math.max(entry.hwmKb, status.hwmKb);
      entry.byPhase.set(this.phase, Math.max(entry.byPhase.get(this.phase) ?? 0, status.rssKb));
    }

    const stats = allStats();
    const children = new Map<number, StatLine[]>();
    for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
    const ours = children.get(process.pid) ?? [];
    let ourTicks = 0;

    const servicePids = new Map([...this.services].filter(([, s]) => s.alive).map(([label, s]) => [s.pid, label]));
    for (const child of ours) {
      const label = servicePids.get(child.pid);
      if (label) ourTicks += this.account(label, [child]);
      else if (child.comm === 'java' && readCmdline(child.pid).includes('kafka.Kafka')) ourTicks += this.account('kafka', [child]);
      else if (child.comm === 'postgres') {
        // The postmaster, its live processes, and what its reaped backends used.
        const members = [{ pid: child.pid, ticks: child.ticks + child.childTicks }, ...(children.get(child.pid) ?? []).map((c) => ({ pid: c.pid, ticks: c.ticks }))];
        ourTicks += this.account('postgres', members);
      } else if (child.comm === 'node' && readCmdline(child.pid).includes('load-generator')) ourTicks += this.account('load generator', [child]);
      else if (child.comm === 'java') ourTicks += this.account('kafka tools (JVM)', [child]);
    }
    const self = readStat(process.pid);
    if (self) ourTicks += this.account('bench', [self]);

    const machine = machineTicks();
    if (machine && this.lastMachine) {
      const busy = machine.busy - this.lastMachine.busy;
      this.phaseBusyTicks += busy;
      this.phaseOurTicks += ourTicks;
    }
    this.lastMachine = machine;
  }

  memory(): MemoryFigures[] {
    return [...this.services].map(([label, entry]) => ({
      label,
      service: entry.service,
      pid: entry.pid,
      peakRssMb: mb(entry.peakKb),
      hwmMb: mb(entry.hwmKb),
      peakRssMbByPhase: Object.fromEntries([...entry.byPhase].map(([phase, kb]) => [phase, mb(kb)])),
      samples: entry.samples,
    }));
  }

  cpuFigures(): CpuFigures[] {
    return [...this.cpu].map(([label, byPhase]) => ({
      label,
      secondsByPhase: Object.fromEntries([...byPhase].filter(([, ticks]) => ticks > 0).map(([phase, ticks]) => [phase, round(ticks / CLOCK_TICKS_PER_SECOND, 2)])),
    }));
  }

  machine(): MachinePhase[] {
    return this.machinePhases;
  }
}
