/**
 * Why Kafka refused a produce request, when retrying the same request can never help:
 * - `event`: the records themselves are refused (too large for the topic, invalid). Sent alone, an
 *   event refused this way can never be published as it is: the relays quarantine it
 *   (outbox/relay-quarantine.ts) rather than retry it forever.
 * - `configuration`: the relay may not write (an ACL, failed authentication). Every event would be
 *   refused alike until an operator fixes it, so nothing is quarantined: the relay logs it as an
 *   error and retries with backoff, the events staying queued.
 */
export interface KafkaRefusal {
  kind: 'event' | 'configuration';
  /** The Kafka error name (e.g. MESSAGE_TOO_LARGE) or the kafkajs error name. */
  type: string;
  /** The Kafka error code, when Kafka gave one. */
  code?: number;
}

const EVENT_REFUSALS: Record<number, string> = { 10: 'MESSAGE_TOO_LARGE', 18: 'RECORD_LIST_TOO_LARGE', 87: 'INVALID_RECORD' };
const EVENT_REFUSAL_TYPES = new Set(Object.values(EVENT_REFUSALS));
const CONFIGURATION_ERROR_NAMES = new Set(['KafkaJSSASLAuthenticationError']);
const CONFIGURATION_TYPES = new Set(['SASL_AUTHENTICATION_FAILED', 'UNSUPPORTED_SASL_MECHANISM']);

/**
 * The refusal behind a kafkajs error (the protocol error may be wrapped, e.g. in a
 * KafkaJSNonRetriableError's `cause`); undefined for anything else (a broker down, a timeout, a
 * leader moving), which is transient.
 */
export function kafkaRefusalOf(error: unknown): KafkaRefusal | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as { type?: unknown; code?: unknown; name?: unknown; cause?: unknown };
    const code = typeof candidate.code === 'number' ? candidate.code : undefined;
    const type = typeof candidate.type === 'string' ? candidate.type : code !== undefined ? EVENT_REFUSALS[code] : undefined;
    if (type !== undefined && EVENT_REFUSAL_TYPES.has(type)) return { kind: 'event', type, code };
    if (type !== undefined && (type.endsWith('_AUTHORIZATION_FAILED') || CONFIGURATION_TYPES.has(type))) return { kind: 'configuration', type, code };
    if (typeof candidate.name === 'string' && CONFIGURATION_ERROR_NAMES.has(candidate.name)) return { kind: 'configuration', type: candidate.name };
    current = candidate.cause;
  }
  return undefined;
}
