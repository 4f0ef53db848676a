import { Example, AuditReport, Finding } from './types';

const exampleLine = (example: Example): string =>
  Object.entries(example)
    .map(([name, value]) => `${name}=${value ?? 'null'}`)
    .join(' ');

function findingLines(finding: Finding, marker: string): string[] {
  const more = finding.truncated ? ` (first ${finding.examples.length})` : '';
  return [
    `       ${marker} ${finding.kind} (${finding.count.toLocaleString('en-US')}): ${finding.description}${more}`,
    ...finding.examples.map((example) => `           ${exampleLine(example)}`),
  ];
}

/** The human-readable report: one block per check, offenders under it, the verdict last. */
export function formatAuditReport(report: AuditReport): string[] {
  const { scope } = report;
  const lines = [
    `Relay audit of orders "${scope.orders.schema}" (group ${scope.orders.group}), inventory "${scope.inventory.schema}" (group ${scope.inventory.group}), ` +
      `delivery "${scope.delivery.schema}" (group ${scope.delivery.group}); topics ${scope.topics.orders}, ${scope.topics.inventory}, ${scope.topics.delivery}; ` +
      `grace ${scope.graceSeconds} s${scope.sharedTopic ? '; shared topics' : ''}`,
    '',
  ];
  for (const check of report.checks) {
    lines.push(`${check.ok ? '[ok] ' : '[GAP]'}  ${check.title}`);
    lines.push(`       ${check.summary}`);
    for (const gap of check.gaps) lines.push(...findingLines(gap, '✗'));
    for (const note of check.notes) lines.push(...findingLines(note, '·'));
  }
  lines.push('', `Verdict: ${report.verdict} (${(report.durationMs / 1_000).toFixed(1)} s)`);
  return lines;
}
