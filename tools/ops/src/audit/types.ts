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
  /** The orders service's consumer group (it applies stock and delivery events); default `orders`. */
  ordersGroup?: string;
  /** Default schema `inventory`, group `inventory`. */
  inventory?: Partial<ConsumerTarget>;
  /** Default schema `delivery`, group `delivery`. */
  delivery?: Partial<ConsumerTarget>;
  /** The order events topic (default relay.orders.v1); inventory and delivery events are on relay.inventory.v1 and relay.delivery.v1. */
  topic?: string;
  /**
   * How long an outbox row may stay unpublished before it is overdue (default 10), and how long
   * the audit waits at most for groups to consume what was on their topics when it started and
   * for overdue rows to be published.
   */
  graceSeconds?: number;
  /** Offenders listed per finding (default 5); counts are always complete. */
  maxExamples?: number;
  /**
   * Other stacks publish to the same topics (per-test stacks sharing one broker), so the groups
   * also apply other stacks' events. Events and effects this stack's outboxes never produced, for
   * orders it does not have, are then counted as foreign instead of being reported (an effect or
   * event of an order this stack produced but that no longer exists is still a gap).
   */
  sharedTopic?: boolean;
  onProgress?: (message: string) => void;
}

export type ResolvedAuditOptions = Required<Omit<AuditOptions, 'ordersGroup' | 'inventory' | 'delivery' | 'onProgress'>> & {
  orders: ConsumerTarget;
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

/**
 * `topic`, `inventory-topic`, `delivery-topic`: relay.orders.v1, relay.inventory.v1, relay.delivery.v1;
 * `orders`, `inventory`, `delivery`: what each service's consumer group applied; `final`: orders
 * whose events are all published and consumed have reached a final status all services agree on.
 */
export type CheckId = 'outbox' | 'topic' | 'inventory-topic' | 'delivery-topic' | 'orders' | 'inventory' | 'delivery' | 'lag' | 'final';

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
    orders: ConsumerTarget;
    inventory: ConsumerTarget;
    delivery: ConsumerTarget;
    /** The order events topic. */
    topic: string;
    topics: { orders: string; inventory: string; delivery: string };
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
