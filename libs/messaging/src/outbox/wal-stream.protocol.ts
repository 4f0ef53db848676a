/*
 * The streaming replication sub-protocol a logical walsender speaks inside COPY BOTH (PostgreSQL
 * docs, "Streaming Replication Protocol", START_REPLICATION): the CopyData payloads the server
 * sends (XLogData 'w', primary keepalive 'k') and the one the client sends (Standby Status Update
 * 'r'). All integers are big-endian; LSNs are 64-bit; times are microseconds since 2000-01-01 UTC.
 */
import type { Lsn } from './pgoutput.decoder';

/** 'w': one pgoutput message; `walStart` is where its WAL data starts (0 for Begin/Commit-less data). */
export interface XLogData {
  type: 'xlogdata';
  walStart: Lsn;
  /** The end of WAL on the server when sent: not a position the client has received. */
  walEnd: Lsn;
  sendTime: bigint;
  /** A view into the CopyData payload. */
  data: Buffer;
}

/** 'k': the walsender has sent everything up to `walEnd` (for a logical slot: everything it decoded). */
export interface PrimaryKeepalive {
  type: 'keepalive';
  walEnd: Lsn;
  sendTime: bigint;
  /** The server ends the connection unless the client answers with a status update soon. */
  replyRequested: boolean;
}

export type ReplicationMessage = XLogData | PrimaryKeepalive;

const XLOGDATA_HEADER_BYTES = 1 + 8 + 8 + 8;
const KEEPALIVE_BYTES = 1 + 8 + 8 + 1;
const STATUS_UPDATE_BYTES = 1 + 8 + 8 + 8 + 8 + 1;

/** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
const POSTGRES_EPOCH_MICROS = 946_684_800_000_000n;

export function postgresNow(nowMs: number = Date.now()): bigint {
  return BigInt(Math.round(nowMs * 1000)) - POSTGRES_EPOCH_MICROS;
}

/** A PostgreSQL time stamp (microseconds since 2000-01-01) as a Date. */
export function postgresTimeToDate(micros: bigint): Date {
  return new Date(Number((micros + POSTGRES_EPOCH_MICROS) / 1000n));
}

/** Parses one CopyData payload of a walsender; throws on an unknown or truncated one. */
export function parseReplicationMessage(payload: Buffer): ReplicationMessage {
  if (payload.length === 0) throw new Error('empty replication CopyData message');
  const tag = String.fromCharCode(payload[0]);
  if (tag === 'w') {
    if (payload.length < XLOGDATA_HEADER_BYTES) throw new Error(`truncated XLogData (${payload.length} bytes)`);
    return {
      type: 'xlogdata',
      walStart: payload.readBigUInt64BE(1),
      walEnd: payload.readBigUInt64BE(9),
      sendTime: payload.readBigInt64BE(17),
      data: payload.subarray(XLOGDATA_HEADER_BYTES),
    };
  }
  if (tag === 'k') {
    if (payload.length !== KEEPALIVE_BYTES) throw new Error(`primary keepalive of ${payload.length} bytes, expected ${KEEPALIVE_BYTES}`);
    return { type: 'keepalive', walEnd: payload.readBigUInt64BE(1), sendTime: payload.readBigInt64BE(9), replyRequested: payload[17] === 1 };
  }
  throw new Error(`unknown replication CopyData message '${tag}'`);
}

export interface StandbyStatus {
  /** Received (and kept in memory): the walsender stops pinging once this reaches what it sent. */
  written: Lsn;
  /** Confirmed: a logical slot's confirmed_flush_lsn moves to it; everything before it is never sent again. */
  flushed: Lsn;
  applied: Lsn;
  /** Asks the server to answer with a keepalive at once. */
  replyRequested: boolean;
  nowMs?: number;
}

/** The Standby Status Update ('r') payload, to send as CopyData. */
export function standbyStatusUpdate(status: StandbyStatus): Buffer {
  const buffer = Buffer.alloc(STATUS_UPDATE_BYTES);
  buffer.write('r', 0, 'latin1');
  buffer.writeBigUInt64BE(status.written, 1);
  buffer.writeBigUInt64BE(status.flushed, 9);
  buffer.writeBigUInt64BE(status.applied, 17);
  buffer.writeBigInt64BE(postgresNow(status.nowMs), 25);
  buffer[33] = status.replyRequested ? 1 : 0;
  return buffer;
}
