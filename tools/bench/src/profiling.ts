import { existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '@relay/local-stack';
import { round, sleep } from './stats';

const PRELOAD = path.join(__dirname, 'cpu-profiler.preload.cjs');

/** Environment that makes a service profilable by SIGUSR2 windows (see cpu-profiler.preload.cjs). */
export function profilerEnv(dir: string): Record<string, string> {
  return { NODE_OPTIONS: `--require ${PRELOAD}`, RELAY_BENCH_CPU_PROFILE_DIR: dir };
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
  /** Self time per function, as % of on-CPU time. */
  top: ProfileEntry[];
  packages: PackageEntry[];
  /**
   * Relay's own functions by inclusive time (% of on-CPU time with the function on the stack). After
   * an `await` V8 resumes a function from the microtask queue, so its callers are not on that stack:
   * read these as "time in this function's synchronous stretches and what they call".
   */
  ownCodeInclusive: ProfileEntry[];
  /**
   * On-CPU time by what the process was doing, each sample counted once under the first category
   * found anywhere on its stack (in this order), so the shares add up to 100 %.
   */
  categories: Array<{ name: string; pct: number }>;
}

const CATEGORIES: Array<[string, RegExp]> = [
  ['logging (pino)', /node_modules\/(pino|pino-http|nestjs-pino|sonic-boom|thread-stream)\//],
  ['metrics (prom-client)', /node_modules\/prom-client\//],
  ['database access (typeorm, pg, socket writes)', /node_modules\/(typeorm|pg|pg-protocol|pg-pool|pg-types|postgres-date)\//],
  ['Kafka client (kafkajs)', /node_modules\/kafkajs\//],
  ['request validation (class-validator, class-transformer)', /node_modules\/(class-validator|class-transformer)\//],
  ['event schemas (zod)', /node_modules\/zod\//],
  ['HTTP (fastify, Nest core)', /node_modules\/(fastify|@fastify\/[^/]+|find-my-way|light-my-request|fast-json-stringify|secure-json-parse|avvio|@nestjs\/core|@nestjs\/platform-fastify)\//],
  ['Nest microservices, rxjs', /node_modules\/(@nestjs\/microservices|rxjs)\//],
];
const OTHER_CATEGORY = 'everything else (own code, Node core, GC, async hooks)';

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

  // The profiler's own work (serialising the profile when the window closes) is not the service's.
  const excluded = new Set<number>();
  const mark = (id: number): void => {
    excluded.add(id);
    for (const child of byId.get(id)?.children ?? []) mark(child);
  };
  for (const node of profile.nodes) if (node.callFrame.url.includes('cpu-profiler.preload')) mark(node.id);

  const selfUs = new Map<number, number>();
  let totalUs = 0;
  let idleUs = 0;
  const onStackUs = new Map<string, number>();
  const inclusiveUs = new Map<string, number>();
  const categoryUs = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const delta = profile.timeDeltas[i] ?? 0;
    if (delta <= 0 || excluded.has(id)) continue;
    totalUs += delta;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
    const node = byId.get(id);
    if (!node) continue;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += delta;
      continue;
    }
    const seen = new Set<string>();
    const ownSeen = new Set<string>();
    let category = CATEGORIES.length;
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current);
      if (!frame || frame.callFrame.functionName === '(root)') continue;
      const url = frame.callFrame.url;
      if (url !== '') {
        const index = CATEGORIES.findIndex(([, pattern]) => pattern.test(url));
        if (index >= 0 && index < category) category = index;
      }
      const bucket = bucketOf(frame.callFrame);
      seen.add(bucket);
      if (bucket === 'relay (own code)') ownSeen.add(`${frame.callFrame.functionName || '(anonymous)'}|${shortLocation(frame.callFrame.url)}:${frame.callFrame.lineNumber + 1}`);
    }
    for (const bucket of seen) onStackUs.set(bucket, (onStackUs.get(bucket) ?? 0) + delta);
    for (const key of ownSeen) inclusiveUs.set(key, (inclusiveUs.get(key) ?? 0) + delta);
    const categoryName = category < CATEGORIES.length ? CATEGORIES[category][0] : OTHER_CATEGORY;
    categoryUs.set(categoryName, (categoryUs.get(categoryName) ?? 0) + delta);
  }
  const busyUs = Math.max(1, totalUs - idleUs);

  const byFunction = new Map<string, ProfileEntry & { us: number }>();
  const byPackage = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)' || excluded.has(id)) continue;
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
  const ownCodeInclusive = [...inclusiveUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([key, us]) => {
      const [functionName, location] = key.split('|');
      return { functionName, location, selfMs: round(us / 1000, 1), selfPct: round((100 * us) / busyUs, 1) };
    });
  const categories = [...categoryUs].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, pct: round((100 * us) / busyUs, 1) }));
  return {
    ...meta,
    categories,
    ownCodeInclusive,
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

  constructor(
    private readonly dir: string,
    readonly sampler?: { setPhase(phase: string): void },
  ) {}

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
