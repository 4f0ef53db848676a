import { Topics } from '@relay/contracts';
import { waitFor } from '@relay/testing';
import { consumerOf } from './scenario';

const ALL_PARTITIONS = '0,1,2,3,4,5';

/** The partitions of the order events topic each instance says it owns (GET /consumer `assignment`). */
export async function assignments(urls: readonly string[]): Promise<number[][]> {
  const views = await Promise.all(urls.map((url) => consumerOf(url)));
  return views.map((view) => [...(view.assignment[Topics.orderEvents] ?? [])].sort((a, b) => a - b));
}

/**
 * Waits until the given instances split the six partitions of relay.orders.v1 between them: each
 * owns at least one, none is owned twice, all six are owned. Returns the split.
 */
export function waitForSplit(urls: readonly string[], timeoutMs: number, description: string): Promise<number[][]> {
  return waitFor(
    async () => {
      const owned = await assignments(urls);
      const all = owned.flat().sort((a, b) => a - b);
      return owned.every((partitions) => partitions.length > 0) && all.join() === ALL_PARTITIONS ? owned : undefined;
    },
    { timeoutMs, intervalMs: 200, description },
  );
}

/** Waits until one instance owns all six partitions of relay.orders.v1. */
export function waitForAllOwnedBy(url: string, timeoutMs: number, description: string): Promise<number[]> {
  return waitFor(
    async () => {
      const [owned] = await assignments([url]);
      return owned.join() === ALL_PARTITIONS ? owned : undefined;
    },
    { timeoutMs, intervalMs: 200, description },
  );
}
