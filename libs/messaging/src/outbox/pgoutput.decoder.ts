/*
 * Decodes the rows of PostgreSQL's `pgoutput` logical decoding plugin, protocol version 1, as
 * `pg_logical_slot_peek_binary_changes()` returns them: one protocol message per row. Only what a
 * publication with no tables and `messages 'true'` produces is decoded: Begin, logical decoding
 * Message and Commit ("Logical Replication Message Formats" in the PostgreSQL docs). Any other
 * message (Relation, Insert, Origin, ...) is returned as `other`, so the reader can ignore it
 * without knowing its layout: each row holds exactly one message.
 */

/** A WAL position (LSN) as an unsigned 64-bit number. */
export type Lsn = bigint;

/** 'B': a transaction's first message; `finalLsn` is the LSN of its commit record. */
export interface PgoutputBegin {
  type: 'begin';
  finalLsn: Lsn;
  /** Microseconds since 2000-01-01 UTC, as PostgreSQL counts. */
  commitTimestamp: bigint;
  xid: number;
}

/** 'M': a message emitted by `pg_logical_emit_message()`. */
export interface PgoutputMessage {
  type: 'message';
  /** Emitted with transactional = true: delivered between its transaction's Begin and Commit. */
  transactional: boolean;
  /** The end of the message's WAL record (taken before commit: never an order of commits). */
  lsn: Lsn;
  prefix: string;
  /** A view into the row's buffer, not a copy. */
  content: Buffer;
}

/** 'C': a transaction's last message. */
export interface PgoutputCommit {
  type: 'commit';
  /** The LSN of the commit record, equal to its Begin's `finalLsn`. */
  commitLsn: Lsn;
  /** The end of the commit record: the position to confirm once the transaction is handled. */
  endLsn: Lsn;
  commitTimestamp: bigint;
}

export interface PgoutputOther {
  type: 'other';
  /** The message's one-letter tag, e.g. 'R' (Relation), 'O' (Origin). */
  tag: string;
}

export type PgoutputRecord = PgoutputBegin | PgoutputMessage | PgoutputCommit | PgoutputOther;

/** Decodes one protocol message; throws on a truncated or malformed Begin, Message or Commit. */
export function decodePgoutput(data: Buffer): PgoutputRecord {
  if (data.length === 0) throw new Error('empty pgoutput message');
  const tag = String.fromCharCode(data[0]);
  switch (tag) {
    case 'B':
      expectLength(data, 1 + 8 + 8 + 4, 'Begin');
      return { type: 'begin', finalLsn: data.readBigUInt64BE(1), commitTimestamp: data.readBigInt64BE(9), xid: data.readUInt32BE(17) };
    case 'C':
      expectLength(data, 1 + 1 + 8 + 8 + 8, 'Commit');
      return { type: 'commit', commitLsn: data.readBigUInt64BE(2), endLsn: data.readBigUInt64BE(10), commitTimestamp: data.readBigInt64BE(18) };
    case 'M':
      return decodeMessage(data);
    default:
      return { type: 'other', tag };
  }
}

/** Protocol 1 (no streaming, so no xid field): Int8 flags, Int64 LSN, String prefix, Int32 length, Byte[length]. */
function decodeMessage(data: Buffer): PgoutputMessage {
  if (data.length < 1 + 1 + 8 + 1 + 4) throw new Error(`truncated pgoutput Message (${data.length} bytes)`);
  const flags = data[1];
  const lsn = data.readBigUInt64BE(2);
  const prefixEnd = data.indexOf(0, 10);
  if (prefixEnd < 0) throw new Error('pgoutput Message prefix is not terminated');
  const prefix = data.toString('utf8', 10, prefixEnd);
  expectAtLeast(data, prefixEnd + 1 + 4, 'Message');
  const length = data.readUInt32BE(prefixEnd + 1);
  const start = prefixEnd + 5;
  expectLength(data, start + length, 'Message');
  return { type: 'message', transactional: (flags & 1) === 1, lsn, prefix, content: data.subarray(start, start + length) };
}

function expectLength(data: Buffer, length: number, what: string): void {
  if (data.length !== length) throw new Error(`pgoutput ${what} of ${data.length} bytes, expected ${length}`);
}

function expectAtLeast(data: Buffer, length: number, what: string): void {
  if (data.length < length) throw new Error(`truncated pgoutput ${what} (${data.length} bytes)`);
}

/** PostgreSQL's text form of an LSN, `16/B374D848`. */
export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function parseLsn(text: string): Lsn {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) throw new Error(`not an LSN: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}
