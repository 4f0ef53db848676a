import { existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '@relay/local-stack';
import { round, sleep } from './stats';

const PRELOAD = path.join(__dirname, 'cpu-profiler.preload.cjs');

/** Environment that makes a service profilable by SIGUSR2 windows (see cpu-profiler.preload.cjs). */
export function profilerEnv(dir: string): Record<string, string> {
  const inherited = process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ` : '';
  return { NODE_OPTIONS: `${inherited}--require ${PRELOAD}`, RELAY_BENCH_CPU_PROFILE_DIR: dir };
}

export interface ProfileEntry {
  functionName: string;
  location: string;
  selfMs: number;
  selfPct: number;
}

export interface PackageEntry {
  name: string;
  selfPct: number;
  /** Share of samples with this package anywhere on the stack. */
  onStackPct: number;
}

export interface ProfileSummary {
  label: string;
  phase: string;
  file: string;
  wallMs: number;
  /** Share of the window the process was on CPU (not idle). */
  busyPct: number;
  top: ProfileEntry[];
  packages: PackageEntry[];
}

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

function shortLocation(url: string): string {
  let file = url.replace(/^file:\/\//, '');
  if (file.startsWith(REPO_ROOT)) file = path.relative(REPO_ROOT, file);
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) file = file.slice(nm + 'node_modules/'.length);
  // A copy of dist/ lives in the results folder; show the path inside dist.
  const dist = file.indexOf('dist/');
  if (dist > 0) file = file.slice(dist);
  return file;
}

/** What a frame belongs to: an npm package, Node's core, Relay's own code, or V8 itself. */
function bucketOf(frame: CpuProfileNode['callFrame']): string {
  if (SPECIAL.has(frame.functionName)) return frame.functionName;
  const url = frame.url;
  if (url === '') return '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node (core)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (/\/(dist\/)?(apps|libs)\//.test(url)) return 'relay (own code)';
  return 'other';
}

export function summariseProfile(profile: CpuProfile, meta: { label: string; phase: string; file: string }, topN = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfUs = new Map<number, number>();
  let totalUs = 0;
  let idleUs = 0;
  const onStackUs = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const delta = profile.timeDeltas[i] ?? 0;
    if (delta <= 0) continue;
    totalUs += delta;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
    const node = byId.get(id);
    if (!node) continue;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += delta;
      continue;
    }
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current);
      if (!frame || frame.callFrame.functionName === '(root)') continue;
      seen.add(bucketOf(frame.callFrame));
    }
    for (const bucket of seen) onStackUs.set(bucket, (onStackUs.get(bucket) ?? 0) + delta);
  }
  const busyUs = Math.max(1, totalUs - idleUs);

  const byFunction = new Map<string, ProfileEntry & { us: number }>();
  const byPackage = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    const frame = node.callFrame;
    const location = frame.url === '' ? '' : `${shortLocation(frame.url)}:${frame.lineNumber + 1}`;
    const name = frame.functionName || '(anonymous)';
    const key = `${name}|${location}`;
    const entry = byFunction.get(key) ?? { functionName: name, location, selfMs: 0, selfPct: 0, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    const bucket = bucketOf(frame);
    byPackage.set(bucket, (byPackage.get(bucket) ?? 0) + us);
  }
  const top = [...byFunction.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map(({ us, ...entry }) => ({ ...entry, selfMs: round(us / 1000, 1), selfPct: round((100 * us) / busyUs, 1) }));
  const packages = [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .map(([name, us]) => ({ name, selfPct: round((100 * us) / busyUs, 1), onStackPct: round((100 * (onStackUs.get(name) ?? us)) / busyUs, 1) }));
  return {
    ...meta,
    wallMs: round((profile.endTime - profile.startTime) / 1000),
    busyPct: round((100 * (totalUs - idleUs)) / Math.max(1, totalUs), 1),
    top,
    packages,
  };
}

/** Profiling windows over running services (one window per service per bench phase). */
export class ProfileWindows {
  private readonly sequence = new Map<number, number>();
  private readonly open = new Map<number, { label: string; phase: string }>();
  readonly summaries: ProfileSummary[] = [];

  constructor(private readonly dir: string) {}

  start(pid: number, label: string, phase: string): void {
    if (this.open.has(pid)) return;
    process.kill(pid, 'SIGUSR2');
    this.open.set(pid, { label, phase });
  }

  /** Closes the window, waits for the profile file and summarises it. */
  async stop(pid: number): Promise<ProfileSummary | undefined> {
    const window = this.open.get(pid);
    if (!window) return undefined;
    this.open.delete(pid);
    const sequence = (this.sequence.get(pid) ?? 0) + 1;
    this.sequence.set(pid, sequence);
    const written = path.join(this.dir, `${pid}-${sequence}.cpuprofile`);
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {
      return undefined;
    }
    const deadline = Date.now() + 60_000;
    while (!existsSync(written)) {
      if (Date.now() > deadline) return undefined;
      await sleep(200);
    }
    const file = path.join(this.dir, `${window.label}-${window.phase}.cpuprofile`);
    await rename(written, file);
    const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
    const summary = summariseProfile(profile, { label: window.label, phase: window.phase, file: path.relative(REPO_ROOT, file) });
    this.summaries.push(summary);
    return summary;
  }

  async stopAll(): Promise<void> {
    for (const pid of [...this.open.keys()]) await this.stop(pid);
  }
}
