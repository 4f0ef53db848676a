import { OutboxRecord } from './outbox-writer';

/*
 * The content of one outbox event written to the WAL with pg_logical_emit_message(): a line of JSON
 * with what the relay needs to route it, then the envelope as JSON, which the relay sends to Kafka
 * as it is, without parsing it. JSON.stringify never writes a raw line feed, so the first one ends
 * the routing line.
 */

/** Prefix of every outbox message; the producing schema follows it (`relay.outbox.orders`). */
export const WAL_OUTBOX_PREFIX = 'relay.outbox.';

export function walOutboxPrefix(schema: string): string {
  return `${WAL_OUTBOX_PREFIX}${schema}`;
}

/** What the relay needs besides the envelope. */
export interface WalOutboxRoute {
  topic: string;
  key: string;
  headers: Record<string, string>;
}

export function encodeWalOutboxContent(record: OutboxRecord): string {
  const route: WalOutboxRoute = { topic: record.topic, key: record.key, headers: record.headers };
  return `${JSON.stringify(route)}\n${JSON.stringify(record.payload)}`;
}

/** The route, and the envelope's bytes as a view of `content` (no copy). */
export function decodeWalOutboxContent(content: Buffer): WalOutboxRoute & { value: Buffer } {
  const lineEnd = content.indexOf(0x0a);
  if (lineEnd < 0) throw new Error('WAL outbox message without its routing line');
  const route = JSON.parse(content.toString('utf8', 0, lineEnd)) as WalOutboxRoute;
  if (typeof route.topic !== 'string' || typeof route.key !== 'string' || typeof route.headers !== 'object' || route.headers === null) {
    throw new Error('WAL outbox message with an invalid routing line');
  }
  return { topic: route.topic, key: route.key, headers: route.headers, value: content.subarray(lineEnd + 1) };
}
