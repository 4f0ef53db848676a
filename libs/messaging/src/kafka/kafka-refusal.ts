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
  /** The Kafka error name (e.g. MESSAGE_TOO_LARGE), or the client's name for a failed login. */
  type: string;
  /** The Kafka error code, when Kafka gave one. */
  code?: number;
  /** What the error that carries the refusal says (a client's outer error may say only that the send failed). */
  message?: string;
}

/** Kafka's error codes for records a broker refuses whatever the moment (Kafka's protocol error table). */
const EVENT_REFUSALS: Record<number, string> = { 10: 'MESSAGE_TOO_LARGE', 18: 'RECORD_LIST_TOO_LARGE', 87: 'INVALID_RECORD' };
const EVENT_REFUSAL_TYPES = new Set(Object.values(EVENT_REFUSALS));
const CONFIGURATION_TYPES = new Set(['SASL_AUTHENTICATION_FAILED', 'UNSUPPORTED_SASL_MECHANISM']);
/** A login the client gave up on, by each client's own name for it (kafkajs's error name, @platformatic/kafka's error code). */
const FAILED_LOGINS = new Set(['KafkaJSSASLAuthenticationError', 'PLT_KFK_AUTHENTICATION']);
/** How deep into causes and aggregated errors the search goes: client errors nest a few levels, never more. */
const MAX_ERRORS_SEARCHED = 32;

interface ClientError {
  name?: unknown;
  message?: unknown;
  /** kafkajs: the Kafka error code; @platformatic/kafka: its own error code (PLT_KFK_*). */
  code?: unknown;
  /** kafkajs's Kafka error name. */
  type?: unknown;
  /** @platformatic/kafka's ProtocolError: the Kafka error name and code. */
  apiId?: unknown;
  apiCode?: unknown;
  cause?: unknown;
  /** An AggregateError's (@platformatic/kafka's ResponseError: one per partition; its retries: one per attempt). */
  errors?: unknown;
}

/** The refusal one error states by itself, not looking into its causes. */
function refusalOf(error: ClientError): KafkaRefusal | undefined {
  const said = typeof error.message === 'string' && error.message !== '' ? { message: error.message } : {};
  // Kafka's own code where the client kept it, so one table serves both clients.
  const code = typeof error.apiCode === 'number' ? error.apiCode : typeof error.code === 'number' ? error.code : undefined;
  const named = typeof error.apiId === 'string' ? error.apiId : typeof error.type === 'string' ? error.type : undefined;
  const type = named ?? (code !== undefined ? EVENT_REFUSALS[code] : undefined);
  if (type !== undefined && EVENT_REFUSAL_TYPES.has(type)) return { kind: 'event', type, code, ...said };
  if (type !== undefined && (type.endsWith('_AUTHORIZATION_FAILED') || CONFIGURATION_TYPES.has(type))) return { kind: 'configuration', type, code, ...said };
  for (const clientName of [error.name, error.code]) {
    if (typeof clientName === 'string' && FAILED_LOGINS.has(clientName)) return { kind: 'configuration', type: clientName, ...said };
  }
  return undefined;
}

/**
 * The refusal behind an error of either client, kafkajs or @platformatic/kafka: the Kafka error may
 * be wrapped (kafkajs's KafkaJSNonRetriableError `cause`) or one of several (@platformatic/kafka's
 * ResponseError holds one per partition, its retries one per attempt). A configuration refusal
 * anywhere in it wins over an event refusal: nothing is quarantined while the relay may not write.
 * Undefined for anything else (a broker down, a timeout, a leader moving), which is transient.
 */
export function kafkaRefusalOf(error: unknown): KafkaRefusal | undefined {
  let eventRefusal: KafkaRefusal | undefined;
  for (const candidate of errorsWithin(error)) {
    const refusal = refusalOf(candidate);
    if (refusal?.kind === 'configuration') return refusal;
    eventRefusal ??= refusal;
  }
  return eventRefusal;
}

/**
 * `error` and the errors inside it, breadth first: its `cause` and an AggregateError's `errors`
 * (kafkajs wraps the Kafka error once; @platformatic/kafka holds one per partition, its retries one
 * per attempt). Each once, and at most MAX_ERRORS_SEARCHED of them.
 */
function* errorsWithin(error: unknown): Generator<ClientError> {
  const queue: unknown[] = [error];
  const seen = new Set<unknown>();
  while (queue.length > 0 && seen.size < MAX_ERRORS_SEARCHED) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const candidate = current as ClientError;
    yield candidate;
    queue.push(candidate.cause, ...(Array.isArray(candidate.errors) ? candidate.errors : []));
  }
}

/** Most inner errors `describeKafkaError` names: a retried send holds one per attempt, mostly alike. */
const MAX_ERRORS_NAMED = 3;

/**
 * An error of either client as one log line: its message, then what the Kafka errors inside it say
 * (their name and text, each once). @platformatic/kafka's outer error says only "Producing messages
 * failed."; the reason (NOT_ENOUGH_REPLICAS, a topic authorization, a timeout) is in its `errors`
 * and causes, where an operator reading the relay's log would otherwise never see it.
 */
export function describeKafkaError(error: unknown): string {
  const outer = error instanceof Error ? error.message : String(error);
  const named: string[] = [];
  for (const candidate of errorsWithin(error)) {
    if (candidate === error || typeof candidate.message !== 'string' || candidate.message === '') continue;
    const name = typeof candidate.apiId === 'string' ? candidate.apiId : typeof candidate.type === 'string' ? candidate.type : undefined;
    const text = name && !candidate.message.includes(name) ? `${name}: ${candidate.message}` : candidate.message;
    if (text !== outer && !named.includes(text)) named.push(text);
  }
  return named.length === 0 ? outer : `${outer} (${named.slice(0, MAX_ERRORS_NAMED).join('; ')})`;
}
