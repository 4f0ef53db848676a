import { createInterface } from 'node:readline/promises';

/** Where a command writes: results on stdout, progress and diagnostics on stderr. */
export interface Io {
  out(line?: string): void;
  err(line?: string): void;
  env: NodeJS.ProcessEnv;
  /** True when a person can answer a question on stdin (a TTY). */
  interactive: boolean;
  ask(question: string): Promise<string>;
}

export function processIo(): Io {
  return {
    out: (line = '') => process.stdout.write(`${line}\n`),
    err: (line = '') => process.stderr.write(`${line}\n`),
    env: process.env,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    ask: async (question) => {
      const readline = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await readline.question(question);
      } finally {
        readline.close();
      }
    },
  };
}

export const count = (value: number | bigint): string => value.toLocaleString('en-US');

export const plural = (value: number | bigint, singular: string, pluralForm = `${singular}s`): string =>
  `${count(value)} ${value === 1 || value === 1n ? singular : pluralForm}`;

/** Left-aligned columns; cells are plain strings. */
export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** Control characters (from binary garbage quoted in an error message) shown as U+FFFD. */
export const printable = (text: string): string => text.replace(/[^\P{Cc}\n\t]/gu, '\uFFFD');

export function truncate(text: string, max: number): string {
  const flat = printable(text.replace(/\s+/g, ' ').trim());
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export type ProgressCallback = (done: number, total: number) => void;

/**
 * "scanned 120,000/200,000 messages of <topic>" on stderr: at most once a second, nothing for work
 * that takes less than a second, and a last line at the end when anything was shown.
 */
export function progressLine(io: Pick<Io, 'err'>, label: (done: number, total: number) => string, everyMs = 1_000): ProgressCallback {
  let lastAt = Date.now();
  let shown = false;
  let lastDone = -1;
  return (done, total) => {
    const now = Date.now();
    const final = done >= total;
    if (done === lastDone || (final ? !shown : now - lastAt < everyMs)) return;
    lastAt = now;
    lastDone = done;
    shown = true;
    io.err(label(done, total));
  };
}
