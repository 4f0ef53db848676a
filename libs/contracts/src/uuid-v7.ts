import { randomFillSync } from 'node:crypto';

/** The 16 bytes of the id being made: 6 of time, then 10 random ones (less the version and variant bits). */
const bytes = Buffer.alloc(16);
const RANDOM_BYTES = 10;

// The random bytes are cut from a pool refilled 4 kB at a time (as crypto.randomUUID does): a
// randomFillSync() call per id was a synchronous crypto job per event an inventory catch-up raises
// (about 2 % of its CPU). The bytes are the same CSPRNG output, each used once.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/**
 * A time-ordered UUID (version 7, RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids
 * made later sort later, so a B-tree index on them (every primary key and foreign key holding an
 * order id or an event id) takes new entries at its right edge instead of at random pages.
 * Measured on PostgreSQL 15 on the project's 2-core machine (2026-12-06), 1,000,000 inserts into a
 * uuid primary key in batches of 500: 2.4-2.7 µs of backend CPU per row with these, 4.4-4.8 µs with
 * random (version 4) UUIDs. The random part (74 bits) keeps them unguessable for ids that are not
 * secrets.
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolOffset + RANDOM_BYTES > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    poolOffset = 0;
  }
  pool.copy(bytes, 16 - RANDOM_BYTES, poolOffset, poolOffset + RANDOM_BYTES);
  poolOffset += RANDOM_BYTES;
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
