/** Writes a batch in one transaction; resolves with one result per item, in the items' order. */
export type BatchWriter<TItem, TResult> = (items: readonly TItem[]) => Promise<readonly TResult[]>;

export interface GroupCommitOptions {
  /** Most items written in one transaction. */
  maxBatch: number;
  /** Most items waiting behind the batches in flight; one more is refused with WriteQueueFullError. */
  maxQueued: number;
  /**
   * Batches written at once (default 1). More than one lets a new item start its own transaction
   * while others commit: PostgreSQL flushes their commits together, so latency drops under light
   * load, and batches still form once every writer is busy.
   */
  maxInFlight?: number;
  /**
   * Errors that retrying item by item cannot cure (the database is unreachable): every item of the
   * batch fails with the error at once, instead of each waiting for its own attempt to fail.
   */
  isFatal?: (error: unknown) => boolean;
}

/** The queue of writes is full: the service is overloaded, and nothing was written for this item. */
export class WriteQueueFullError extends Error {
  override readonly name = 'WriteQueueFullError';
  constructor(readonly maxQueued: number) {
    super(`${maxQueued} writes are already waiting`);
  }
}

interface Pending<TItem, TResult> {
  item: TItem;
  resolve(result: TResult): void;
  reject(error: unknown): void;
}

/**
 * Group commit: concurrent writes share transactions. While `maxInFlight` batches are being
 * written, new items queue; when one ends, everything queued (up to `maxBatch`) is written as the
 * next batch. There is no timer: an item that arrives while nothing is being written starts a batch at once, so a lone
 * write waits for nobody, and batches grow only as much as the load makes items wait anyway.
 *
 * Each item's promise settles only once its own batch has committed (or failed). A failing batch
 * does not fail innocent items: unless the error is fatal, its items are written again one by one,
 * so only the culprit fails. The queue is bounded: past `maxQueued` waiting items, `submit`
 * refuses at once (the caller answers "overloaded, retry later") rather than letting memory and
 * latency grow without limit.
 */
export class GroupCommit<TItem, TResult> {
  private queue: Pending<TItem, TResult>[] = [];
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly isFatal: (error: unknown) => boolean;

  constructor(
    private readonly write: BatchWriter<TItem, TResult>,
    private readonly options: GroupCommitOptions,
  ) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${options.maxBatch}`);
    if (!Number.isInteger(options.maxQueued) || options.maxQueued < 1) throw new RangeError(`maxQueued must be a positive integer, got ${options.maxQueued}`);
    this.maxInFlight = options.maxInFlight ?? 1;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) throw new RangeError(`maxInFlight must be a positive integer, got ${options.maxInFlight}`);
    this.isFatal = options.isFatal ?? (() => false);
  }

  /** Items waiting for a batch (not counting the one being written). */
  get queued(): number {
    return this.queue.length;
  }

  /** Resolves with the item's result once the transaction that wrote it has committed. */
  submit(item: TItem): Promise<TResult> {
    if (this.queue.length >= this.options.maxQueued) return Promise.reject(new WriteQueueFullError(this.options.maxQueued));
    const result = new Promise<TResult>((resolve, reject) => this.queue.push({ item, resolve, reject }));
    if (this.inFlight < this.maxInFlight) void this.drain();
    return result;
  }

  private async drain(): Promise<void> {
    this.inFlight++;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch);
        await this.writeBatch(batch);
      }
    } finally {
      this.inFlight--;
    }
  }

  /** Never throws: every item of the batch is settled. */
  private async writeBatch(batch: Pending<TItem, TResult>[]): Promise<void> {
    let results: readonly TResult[];
    try {
      results = await this.write(batch.map((pending) => pending.item));
    } catch (error) {
      if (batch.length === 1 || this.isFatal(error)) {
        for (const pending of batch) pending.reject(error);
        return;
      }
      await this.writeOneByOne(batch);
      return;
    }
    if (results.length !== batch.length) {
      const error = new Error(`the batch writer returned ${results.length} results for ${batch.length} items`);
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, index) => pending.resolve(results[index]));
  }

  /** After a failed batch (rolled back as a whole): each item in its own transaction. */
  private async writeOneByOne(batch: Pending<TItem, TResult>[]): Promise<void> {
    for (const [index, pending] of batch.entries()) {
      try {
        const results = await this.write([pending.item]);
        if (results.length !== 1) throw new Error(`the batch writer returned ${results.length} results for 1 item`);
        pending.resolve(results[0]);
      } catch (error) {
        pending.reject(error);
        if (this.isFatal(error)) {
          for (const rest of batch.slice(index + 1)) rest.reject(error);
          return;
        }
      }
    }
  }
}
