import { ConsumedRecord } from '../kafka/driver/kafka-driver';
import { AnyEventContract, DecodeResult, decodeEvent, EventEnvelope } from '@relay/contracts';

/** A message that decoded to a known event, with this group's handler for it (null: none subscribes). */
export interface DecodedEvent<H> {
  ok: true;
  message: ConsumedRecord;
  contract: AnyEventContract;
  envelope: EventEnvelope;
  handler: H | null;
}

/** A message that can never be handled (not JSON, bad envelope, unknown event, bad data, on a topic its contract does not name or signed by another producer): poison. */
export interface PoisonMessage {
  ok: false;
  message: ConsumedRecord;
  reason: Extract<DecodeResult, { ok: false }>['reason'];
  detail: string;
}

/**
 * The decoding stage: Kafka bytes to a checked envelope and its handler, or poison. It decides
 * nothing else: the caller parks poison at once (retrying cannot fix bytes) and skips an event with
 * no handler (a topic carries events for many groups).
 */
export class MessageDecoder<H> {
  /** `handlerFor` is this group's handler of a pattern (`type.vN`), or null. */
  constructor(private readonly handlerFor: (pattern: string) => H | null) {}

  /**
   * `topic`: where the message was read. An event is accepted only on the topic its contract names
   * and from the producer it names (decodeEvent says what each check proves before Kafka ACLs).
   */
  decode(message: ConsumedRecord, topic: string): DecodedEvent<H> | PoisonMessage {
    const result = decodeEvent(message.value, topic);
    if (!result.ok) return { ok: false, message, reason: result.reason, detail: result.message };
    return { ok: true, message, contract: result.contract, envelope: result.envelope, handler: this.handlerFor(result.contract.pattern) };
  }

  /** Every message of a run decoded, in order; undefined as soon as one is poison. */
  decodeAll(messages: readonly ConsumedRecord[], topic: string): DecodedEvent<H>[] | undefined {
    const decoded: DecodedEvent<H>[] = [];
    for (const message of messages) {
      const result = this.decode(message, topic);
      if (!result.ok) return undefined;
      decoded.push(result);
    }
    return decoded;
  }
}
