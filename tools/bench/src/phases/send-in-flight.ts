import type { ProducerShape } from './baselines';

/**
 * Sends `records` of OrderEventFactory in batches of the shape, `shape.inFlight` sends at a time,
 * through `send(from, size)`; the seconds it took. Both clients' producer baselines drive their
 * sends with it, so they differ in the client only.
 */
export async function sendInFlight(records: number, shape: ProducerShape, send: (from: number, size: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: shape.inFlight }, async () => {
      while (next < records) {
        const from = next;
        const size = Math.min(shape.batchSize, records - from);
        next += size;
        await send(from, size);
      }
    }),
  );
  return (Date.now() - started) / 1000;
}
