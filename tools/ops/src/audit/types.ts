/** Which service's consumer group a consumer check is about, and where its tables are. */
export interface ConsumerTarget {
  schema: string;
  group: string;
}

export interface AuditOptions {
  kafkaBrokers: string[];
  databaseUrl: string;
  /** Default `orders`. */
  ordersSchema?: string;
  /** Default schema `inventory`, group `inventory`. */
  inventory?: Partial<ConsumerTarget>;
  /** Default schema `delivery`, group `delivery`. */
  delivery?: Partial<ConsumerTarget>;
  /** The order events topic (default relay.orders.v1). */
  topic?: string;
  /**
   * How long an event may take to be published and applied before a missing one is a gap
   * (default 10). Younger ones are reported as pending.
   */
  graceSeconds?: number;
  /** Offenders listed per finding (default 5); counts are always complete. */
  maxExamples?: number;
  /**
   * Other orders schemas publish to the same topic (per-test stacks sharing one broker), so the
   * groups also apply other stacks' events. Events and effects of orders this schema's outbox
   * never produced are then counted as foreign instead of being reported as orphans (an effect or
   * event of an order this outbox produced but that no longer exists is still a gap).
   */
  sharedTopic?: boolean;
  onProgress?: (message: string) => void;
}

export type ResolvedAuditOptions = Required<Omit<AuditOptions, 'inventory' | 'delivery' | 'onProgress'>> & {
  inventory: ConsumerTarget;
  delivery: ConsumerTarget;
  onProgress: (message: string) => void;
};

export type Example = Record<string, string | number | null>;

/** A kind of problem (a gap) or of noteworthy but healthy fact (a note), with a few examples. */
export interface Finding {
  kind: string;
  description: string;
  count: number;
  examples: Example[];
  /** More offenders exist than the examples list. */
  truncated: boolean;
}

export type CheckId = 'outbox' | 'topic' | 'inventory' | 'delivery' | 'lag';

export interface CheckResult {
  id: CheckId;
  title: string;
  ok: boolean;
  /** One line of counts. */
  summary: string;
  counts: Record<string, number>;
  gaps: Finding[];
  notes: Finding[];
}

export interface AuditReport {
  ok: boolean;
  /** `OK` or `GAPS FOUND: …`. */
  verdict: string;
  /** Offenders over all gaps. */
  gapCount: number;
  startedAt: string;
  durationMs: number;
  scope: {
    ordersSchema: string;
    inventory: ConsumerTarget;
    delivery: ConsumerTarget;
    topic: string;
    graceSeconds: number;
    sharedTopic: boolean;
  };
  checks: CheckResult[];
}

/** Collects offenders of one kind: counts them all, keeps the first few. */
export class FindingBuilder {
  private readonly examples: Example[] = [];
  private offenders = 0;
  count = 0;

  constructor(
    readonly kind: string,
    readonly description: string,
    private readonly maxExamples: number,
  ) {}

  /** One offender; `times` is what it adds to the count (e.g. the copies of one duplicated event). */
  add(example: Example, times = 1): void {
    this.count += times;
    this.offenders++;
    if (this.examples.length < this.maxExamples) this.examples.push(example);
  }

  build(): Finding {
    return { kind: this.kind, description: this.description, count: this.count, examples: this.examples, truncated: this.offenders > this.examples.length };
  }
}

export function checkResult(id: CheckId, title: string, summary: string, counts: Record<string, number>, gaps: FindingBuilder[], notes: FindingBuilder[]): CheckResult {
  const found = gaps.filter((gap) => gap.count > 0).map((gap) => gap.build());
  return { id, title, ok: found.length === 0, summary, counts, gaps: found, notes: notes.filter((note) => note.count > 0).map((note) => note.build()) };
}
