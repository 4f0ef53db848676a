import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@relay/local-stack';

/**
 * Per-scenario results of the fault suite, merged into tmp/fault-results.json by every fault file
 * of one Jest run (files run one after another in one process), and printed as a table.
 */

export const RESULTS_FILE = path.join(REPO_ROOT, 'tmp', 'fault-results.json');

export interface ScenarioResult {
  /** `1` … `13` (the issues' numbering). */
  id: string;
  title: string;
  file: string;
  passed: boolean;
  /** The first line of the failure, when it failed. */
  error?: string;
  startedAt: string;
  durationMs: number;
  /** Orders the loader got a 201 for. */
  ordersPlaced: number;
  /** How long the fault lasted (injected → healed), when it has a duration. */
  faultMs: number | null;
  /** Fault healed → every order accepted before the heal is final (measured while the load goes on). */
  recoveryMs: number | null;
  /** Fault injected → every order accepted before the heal is final: the fault's whole cost, `faultMs + recoveryMs`. */
  faultToRecoveredMs: number | null;
  /** Fault healed → every group at lag 0 and every placed order final, the loader stopped (includes the post-heal load window). */
  lagZeroMs: number | null;
  /** Loader stopped → every group at lag 0 and every order final. */
  drainMs: number | null;
  auditOk: boolean | null;
  /** Anything else worth quoting (loader answers, duplicate counters, audit notes…). */
  details: Record<string, unknown>;
}

interface ResultsFile {
  /** The Jest process that wrote the results: files of one run merge, a new run starts afresh. */
  run: string;
  updatedAt: string;
  scenarios: ScenarioResult[];
}

/** Identifies this Jest process (pid and its start time), shared by every test file it runs. */
function runId(): string {
  try {
    // Field 22 of /proc/<pid>/stat is the process start time (clock ticks since boot).
    const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return `${process.pid}@${fields[19]}`;
  } catch {
    return String(process.pid);
  }
}

export class FaultResults {
  private readonly scenarios: ScenarioResult[] = [];

  constructor(private readonly file: string) {}

  /** A result to fill in while the scenario runs; recorded by `record`. */
  begin(id: string, title: string): ScenarioResult {
    return { id, title, file: this.file, passed: false, startedAt: new Date().toISOString(), durationMs: 0, ordersPlaced: 0, faultMs: null, recoveryMs: null, faultToRecoveredMs: null, lagZeroMs: null, drainMs: null, auditOk: null, details: {} };
  }

  record(result: ScenarioResult): void {
    result.durationMs = Date.now() - Date.parse(result.startedAt);
    this.scenarios.push(result);
  }

  /** Merges this file's results into tmp/fault-results.json and prints every result of the run. */
  flush(): ScenarioResult[] {
    const run = runId();
    let previous: ResultsFile | undefined;
    try {
      previous = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as ResultsFile;
    } catch {
      previous = undefined;
    }
    const mine = new Set(this.scenarios.map((scenario) => scenario.id));
    const kept = previous?.run === run ? previous.scenarios.filter((scenario) => !mine.has(scenario.id)) : [];
    const scenarios = [...kept, ...this.scenarios].sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id));
    const content: ResultsFile = { run, updatedAt: new Date().toISOString(), scenarios };
    mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    const staging = `${RESULTS_FILE}.${process.pid}.tmp`;
    writeFileSync(staging, `${JSON.stringify(content, null, 2)}\n`);
    renameSync(staging, RESULTS_FILE);
    console.log(formatTable(scenarios));
    return scenarios;
  }
}

const seconds = (ms: number | null) => (ms === null ? '-' : (ms / 1_000).toFixed(1));

export function formatTable(scenarios: readonly ScenarioResult[]): string {
  const header = ['#', 'scenario', 'result', 'orders', 'fault s', 'recovery s', 'fault→ok s', 'lag 0 s', 'drain s', 'audit', 'took s'];
  const rows = scenarios.map((scenario) => [
    scenario.id,
    scenario.title.length > 58 ? `${scenario.title.slice(0, 57)}…` : scenario.title,
    scenario.passed ? 'PASS' : 'FAIL',
    String(scenario.ordersPlaced),
    seconds(scenario.faultMs),
    seconds(scenario.recoveryMs),
    seconds(scenario.faultToRecoveredMs),
    seconds(scenario.lagZeroMs),
    seconds(scenario.drainMs),
    scenario.auditOk === null ? '-' : scenario.auditOk ? 'ok' : 'GAPS',
    seconds(scenario.durationMs),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => (column === 1 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  const failures = scenarios.filter((scenario) => !scenario.passed).map((scenario) => `  #${scenario.id}: ${scenario.error ?? 'failed'}`);
  const legend =
    'fault: injected → healed; recovery: healed → every order accepted before the heal final; fault→ok: injected → the same (fault + recovery); ' +
    'lag 0: healed → every group at lag 0 and every order final (loader stopped after ≥2 s of post-heal orders and ≥200 in all); drain: loader stopped → lag 0';
  return [`Fault suite results (${RESULTS_FILE}):`, line(header), rule, ...rows.map(line), legend, ...(failures.length > 0 ? ['failures:', ...failures] : [])].join('\n');
}
