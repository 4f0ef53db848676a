/**
 * Progress on stderr (the table goes to stdout): `[2/5] REST sweep 1000/s: 12 s left`. One line per
 * update, so it reads the same in a terminal, a CI log or a file.
 */
export class Progress {
  private index = 0;
  private total = 0;
  private label = 'setup';
  private tag = '';
  private readonly startedAt = Date.now();

  setPhaseCount(total: number): void {
    this.total = total;
  }

  /** Named in every line from now on, e.g. which security setting is running (`[3/4 insecure]`); '' for none. */
  setTag(tag: string): void {
    this.tag = tag;
  }

  phase(label: string): void {
    this.index += 1;
    this.label = label;
    this.say(`${label}…`);
  }

  say(message: string): void {
    const tag = this.tag ? ` ${this.tag}` : '';
    const prefix = this.total > 0 && this.index > 0 ? `[${this.index}/${this.total}${tag}]` : `[bench${tag}]`;
    const clock = `${Math.round((Date.now() - this.startedAt) / 1000)}s`.padStart(5);
    process.stderr.write(`${clock} ${prefix} ${message}\n`);
  }

  /** Within the current phase: "<phase> <step>: <detail>". */
  step(step: string, detail: string): void {
    this.say(`${this.label} ${step}: ${detail}`);
  }

  /**
   * Runs `work` while printing "<step>: N s left" (plus `extra()`) every `everyMs`; resolves with its
   * result.
   */
  async countdown<T>(step: string, durationMs: number, work: Promise<T>, extra?: () => string, everyMs = 5_000): Promise<T> {
    const endsAt = Date.now() + durationMs;
    const print = (): void => {
      const left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
      const more = extra?.();
      this.step(step, `${left > 0 ? `${left} s left` : 'finishing'}${more ? ` (${more})` : ''}`);
    };
    print();
    const timer = setInterval(print, everyMs);
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  }
}

export const progress = new Progress();
