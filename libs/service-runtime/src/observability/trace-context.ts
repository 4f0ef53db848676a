import { randomFillSync } from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

// Ids are cut from a pool of random bytes refilled 4 kB at a time: a randomBytes() call per id
// was a synchronous crypto job per HTTP request (about 3 % of a busy orders service's CPU).
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/**
 * W3C trace context (`traceparent`), propagated HTTP → outbox → Kafka headers → consumers, so an
 * OpenTelemetry collector could join one order's spans across the three services. Each unit of
 * work gets a new span id under the caller's trace id; a missing or malformed header starts a new
 * trace. No exporter runs and nothing leaves the process.
 */
export function childTraceparent(parent: string | undefined): string {
  const match = parent ? TRACEPARENT.exec(parent.trim().toLowerCase()) : null;
  const span = randomHex(8);
  if (match && match[1] !== ZERO_TRACE && match[2] !== ZERO_SPAN) return `00-${match[1]}-${span}-${match[3]}`;
  return `00-${randomHex(16)}-${span}-01`;
}

export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
}
