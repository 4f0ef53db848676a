import { BenchResults } from './results';
import { bothCommitted } from './phases/end-to-end';
import { Distribution, formatNumber } from './stats';

/*
 * The results as one self-contained SVG (no chart library): REST latency percentiles per offered
 * rate, end-to-end latency percentiles per rate with the targets drawn in, and our throughput
 * figures beside their baselines. Latency and throughput axes are logarithmic.
 */

const WIDTH = 1000;
const COLORS = { p50: '#4e79a7', p95: '#f28e2b', p99: '#e15759', ours: '#4e79a7', baseline: '#bab0ac', target: '#59a14f', text: '#222', grid: '#ddd' };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function text(x: number, y: number, content: string, options: { size?: number; anchor?: 'start' | 'middle' | 'end'; weight?: string; fill?: string; rotate?: number } = {}): string {
  const transform = options.rotate ? ` transform="rotate(${options.rotate} ${x} ${y})"` : '';
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${options.size ?? 11}" text-anchor="${options.anchor ?? 'start'}" font-weight="${options.weight ?? 'normal'}" fill="${options.fill ?? COLORS.text}"${transform}>${escape(content)}</text>`;
}

const rect = (x: number, y: number, w: number, h: number, fill: string, title?: string) =>
  `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, w).toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" fill="${fill}">${title ? `<title>${escape(title)}</title>` : ''}</rect>`;

const line = (x1: number, y1: number, x2: number, y2: number, stroke: string, dash = '') =>
  `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${stroke}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;

interface LogAxis {
  min: number;
  max: number;
  toPx(value: number): number;
  ticks: number[];
}

function logAxis(values: number[], from: number, to: number, floor = 0.1): LogAxis {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  const min = 10 ** Math.floor(Math.log10(Math.max(floor, Math.min(...positive, 1))));
  const max = 10 ** Math.ceil(Math.log10(Math.max(...positive, min * 10)));
  const span = Math.log10(max) - Math.log10(min);
  const ticks: number[] = [];
  for (let t = min; t <= max * 1.0001; t *= 10) ticks.push(t);
  return { min, max, ticks, toPx: (value) => from + ((Math.log10(Math.max(min, value)) - Math.log10(min)) / span) * (to - from) };
}

const tickLabel = (value: number, unit: string) => (value >= 1000 && unit === 'ms' ? `${value / 1000} s` : `${formatNumber(value, value < 1 ? 1 : 0)}${unit ? ` ${unit}` : ''}`);

/** Grouped vertical bars (one group per category, one bar per series) on a log y axis. */
function groupedBars(
  top: number,
  height: number,
  title: string,
  groups: Array<{ label: string; sublabel?: string; bars: Array<{ series: string; value: number | null; color: string }> }>,
  unit: string,
  targets: Array<{ value: number; label: string }> = [],
): string {
  const parts: string[] = [text(20, top + 16, title, { size: 14, weight: 'bold' })];
  if (groups.length === 0) return [...parts, text(60, top + 50, 'not measured in this run', { fill: '#888' })].join('\n');
  const left = 80;
  // Target labels go to the right of the plot, where no bar can hide them.
  const right = targets.length > 0 ? WIDTH - 190 : WIDTH - 30;
  const plotTop = top + 40;
  const plotBottom = top + height - 45;
  const values = groups.flatMap((g) => g.bars.map((b) => b.value ?? Number.NaN)).concat(targets.map((t) => t.value));
  const axis = logAxis(values, plotBottom, plotTop);
  for (const tick of axis.ticks) {
    const y = axis.toPx(tick);
    parts.push(line(left, y, right, y, COLORS.grid), text(left - 6, y + 4, tickLabel(tick, unit), { anchor: 'end', size: 10 }));
  }
  for (const target of targets) {
    const y = axis.toPx(target.value);
    parts.push(line(left, y, right, y, COLORS.target, '6 4'), text(right + 6, y + 4, target.label, { size: 10, fill: COLORS.target }));
  }
  const groupWidth = (right - left) / groups.length;
  groups.forEach((group, g) => {
    const x0 = left + g * groupWidth;
    const barWidth = Math.min(28, (groupWidth * 0.8) / group.bars.length);
    const start = x0 + (groupWidth - barWidth * group.bars.length) / 2;
    group.bars.forEach((bar, b) => {
      if (bar.value === null || !Number.isFinite(bar.value)) return;
      const y = axis.toPx(bar.value);
      parts.push(rect(start + b * barWidth, y, barWidth - 2, plotBottom - y, bar.color, `${group.label} ${bar.series}: ${formatNumber(bar.value, 1)} ${unit}`));
    });
    parts.push(text(x0 + groupWidth / 2, plotBottom + 16, group.label, { anchor: 'middle', size: 11 }));
    if (group.sublabel) parts.push(text(x0 + groupWidth / 2, plotBottom + 30, group.sublabel, { anchor: 'middle', size: 10, fill: '#555' }));
  });
  parts.push(line(left, plotBottom, right, plotBottom, '#999'));
  const series = [...new Map(groups.flatMap((g) => g.bars.map((b) => [b.series, b.color] as const))).entries()];
  series.forEach(([name, color], i) => parts.push(rect(WIDTH - 30 - (series.length - i) * 110, top + 6, 12, 12, color), text(WIDTH - 30 - (series.length - i) * 110 + 16, top + 16, name, { size: 11 })));
  return parts.join('\n');
}

/** Pairs of horizontal bars (ours, baseline) on a shared log x axis. */
function pairedBars(top: number, title: string, pairs: BenchResults['ratios']): { svg: string; height: number } {
  const usable = pairs.filter((p) => p.ours !== null && p.baselineValue !== null);
  const rowHeight = 34;
  const height = 60 + Math.max(1, usable.length) * rowHeight + 30;
  const parts: string[] = [text(20, top + 16, title, { size: 14, weight: 'bold' })];
  if (usable.length === 0) return { svg: [...parts, text(60, top + 50, 'not measured in this run', { fill: '#888' })].join('\n'), height };
  const left = 330;
  const right = WIDTH - 90;
  const axis = logAxis(usable.flatMap((p) => [p.ours!, p.baselineValue!]), left, right, 1);
  const plotTop = top + 40;
  const plotBottom = plotTop + usable.length * rowHeight;
  for (const tick of axis.ticks) {
    const x = axis.toPx(tick);
    parts.push(line(x, plotTop - 4, x, plotBottom, COLORS.grid), text(x, plotBottom + 14, `${formatNumber(tick)}/s`, { anchor: 'middle', size: 10 }));
  }
  usable.forEach((pair, i) => {
    const y = plotTop + i * rowHeight;
    parts.push(text(left - 8, y + 12, pair.figure, { anchor: 'end', size: 11 }));
    parts.push(text(left - 8, y + 25, `vs ${pair.baseline}`, { anchor: 'end', size: 9, fill: '#666' }));
    parts.push(rect(left, y + 3, axis.toPx(pair.ours!) - left, 11, COLORS.ours, `${pair.figure}: ${formatNumber(pair.ours!)} ${pair.unit}`));
    parts.push(rect(left, y + 16, axis.toPx(pair.baselineValue!) - left, 11, COLORS.baseline, `${pair.baseline}: ${formatNumber(pair.baselineValue!)}`));
    parts.push(text(right + 6, y + 18, pair.ratio === null ? '' : `${formatNumber(pair.ratio * 100, 1)} %`, { size: 11, weight: 'bold' }));
  });
  parts.push(rect(WIDTH - 250, top + 6, 12, 12, COLORS.ours), text(WIDTH - 234, top + 16, 'ours', { size: 11 }));
  parts.push(rect(WIDTH - 180, top + 6, 12, 12, COLORS.baseline), text(WIDTH - 164, top + 16, 'baseline', { size: 11 }));
  return { svg: parts.join('\n'), height };
}

const GROUP_COLORS: Record<string, string> = { orders: '#4e79a7', inventory: '#f28e2b', delivery: '#59a14f', postgres: '#76b7b2', kafka: '#edc948' };

/** Stacked horizontal bars: CPU ms per order (or event) by process group, per phase. */
function cpuCostBars(top: number, results: BenchResults): { svg: string; height: number } {
  const rows = results.cpuCosts;
  const rowHeight = 26;
  const height = 70 + Math.max(1, rows.length) * rowHeight + 20;
  const parts: string[] = [text(20, top + 16, `CPU cost per order / event (ms of CPU, all processes of the system; independent of machine load)`, { size: 14, weight: 'bold' })];
  if (rows.length === 0) return { svg: [...parts, text(60, top + 50, 'not measured in this run', { fill: '#888' })].join('\n'), height };
  const left = 170;
  const right = WIDTH - 170;
  const max = Math.max(...rows.map((r) => r.systemMsPerUnit), 0.001);
  const scale = (ms: number) => ((right - left) * ms) / max;
  rows.forEach((row, i) => {
    const y = top + 40 + i * rowHeight;
    parts.push(text(left - 8, y + 14, `${row.phase} (per ${row.unit})`, { anchor: 'end', size: 11 }));
    let x = left;
    for (const group of Object.keys(GROUP_COLORS)) {
      const ms = row.msPerUnit[group];
      if (!ms) continue;
      parts.push(rect(x, y + 2, scale(ms), 16, GROUP_COLORS[group], `${row.phase} ${group}: ${formatNumber(ms, 2)} ms`));
      x += scale(ms);
    }
    parts.push(text(x + 6, y + 14, `${formatNumber(row.systemMsPerUnit, 1)} ms → ≤ ${formatNumber(row.cpuBoundRate)}/s on ${results.meta.machine.nproc} cores`, { size: 11 }));
  });
  Object.entries(GROUP_COLORS).forEach(([name, color], i) => parts.push(rect(left + i * 110, top + 24, 10, 10, color), text(left + i * 110 + 14, top + 33, name, { size: 10 })));
  return { svg: parts.join('\n'), height };
}

const percentileBars = (d: Distribution | null | undefined) => [
  { series: 'p50', value: d?.p50 ?? null, color: COLORS.p50 },
  { series: 'p95', value: d?.p95 ?? null, color: COLORS.p95 },
  { series: 'p99', value: d?.p99 ?? null, color: COLORS.p99 },
];

export function renderChart(results: BenchResults): string {
  const sections: string[] = [];
  let y = 60;
  const restGroups = (results.rest?.steps ?? []).map((step) => ({
    label: `${step.offeredRate}/s offered`,
    sublabel: `${formatNumber(step.achievedRate)}/s achieved${step.non2xx + step.errors > 0 ? `, ${step.non2xx + step.errors} failed` : ''}`,
    bars: percentileBars(step.latencyMs),
  }));
  sections.push(groupedBars(y, 300, 'REST intake: POST /orders latency per offered rate (open loop)', restGroups, 'ms'));
  y += 310;

  const e2e = results.endToEnd;
  // What the bars are (bothCommitted), from the first run: one stack's runs all read the same clocks.
  const first = e2e?.latencyRuns[0] ?? e2e?.sustained.trials[0];
  const judgedAs = first ? bothCommitted(first.endToEndMs).what : undefined;
  const e2eGroups = [
    ...(e2e?.latencyRuns ?? []).map((run) => ({ label: `${run.rate}/s`, sublabel: `${run.endToEndMs.orders} orders`, bars: percentileBars(bothCommitted(run.endToEndMs).figure) })),
    ...(e2e?.sustained.trials ?? []).map((trial) => ({ label: `${trial.rate}/s sustain`, sublabel: trial.pass ? 'sustained' : 'not sustained', bars: percentileBars(bothCommitted(trial.endToEndMs).figure) })),
  ];
  sections.push(
    groupedBars(y, 300, `End-to-end: 201 → processed by both, as the targets judge it${judgedAs ? `: ${judgedAs}` : ''}`, e2eGroups, 'ms', [
      { value: 10, label: 'target p50 ≤ 10 ms @ 1,000/s' },
      { value: 50, label: 'target p99 ≤ 50 ms @ 1,000/s' },
    ]),
  );
  y += 310;

  const pairs = pairedBars(y, 'Throughput against baselines on the same machine (log scale)', results.ratios);
  sections.push(pairs.svg);
  y += pairs.height;

  const costs = cpuCostBars(y, results);
  sections.push(costs.svg);
  y += costs.height;

  const m = results.meta;
  const header = [
    text(20, 24, `Relay bench ${m.runId}`, { size: 16, weight: 'bold' }),
    text(20, 42, `${m.command} — ${m.machine.nproc} cores ${m.machine.cpuModel}, ${m.machine.totalMemoryGiB} GiB, load avg ${m.machine.loadAverageAtStart.join(' ')} → ${m.machine.loadAverageAtEnd.join(' ')}; shared machine, noisy`, { size: 11, fill: '#555' }),
  ];
  const targets = results.targets.map((t, i) => text(20, y + 18 + i * 16, `${t.status.padEnd(4)}  ${t.target}: ${t.actual}`, { size: 11, fill: t.status === 'PASS' ? COLORS.target : t.status === 'MISS' ? COLORS.p99 : '#888' }));
  y += 30 + results.targets.length * 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...header,
    ...sections,
    ...targets,
    '</svg>',
    '',
  ].join('\n');
}
