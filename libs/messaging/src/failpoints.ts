/**
 * Crash points for the fault-injection suite. `RELAY_FAILPOINTS=relay-after-publish@3` makes the
 * process kill itself (SIGKILL: no cleanup, exactly like a power cut) the 3rd time it reaches that
 * point; without `@n`, the first time. Unset, as in production, a check is one map lookup.
 *
 * - `relay-before-publish`: orders are committed, their events not yet sent to Kafka;
 * - `relay-after-publish`: Kafka acknowledged a batch, the outbox rows are not yet stamped;
 * - `consumer-mid-effect`: a handler's effect is written but its transaction not committed;
 * - `consumer-after-effect`: the effect is committed, the Kafka offset is not.
 */
export type FailpointName = 'relay-before-publish' | 'relay-after-publish' | 'consumer-mid-effect' | 'consumer-after-effect';

function parse(spec: string | undefined): Map<string, number> {
  const points = new Map<string, number>();
  for (const entry of (spec ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    const [name, hit] = entry.split('@');
    points.set(name, hit ? Math.max(1, Number.parseInt(hit, 10) || 1) : 1);
  }
  return points;
}

const armed = parse(process.env.RELAY_FAILPOINTS);

export function failpoint(name: FailpointName): void {
  const remaining = armed.get(name);
  if (remaining === undefined) return;
  if (remaining > 1) {
    armed.set(name, remaining - 1);
    return;
  }
  process.stderr.write(`failpoint ${name} reached: killing process ${process.pid}\n`);
  process.kill(process.pid, 'SIGKILL');
}
