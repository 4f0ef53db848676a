import { KafkaMessage } from 'kafkajs';
import { RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER, REPLAY_OF_HEADER } from '../event-headers';
import { producerSequence } from '../position/producer-sequence';
import { formatMessagePosition, parseMessagePosition, provenanceOf } from './event-provenance';

const message = (headers: KafkaMessage['headers']) => ({ offset: '0', key: null, value: null, timestamp: '0', attributes: 0, headers }) as KafkaMessage;
const sequence = producerSequence(0x16b3740n, 2);

describe('provenanceOf', () => {
  it("reads the relay's producer and sequence", () => {
    expect(provenanceOf(message({ [RELAY_PRODUCER_HEADER]: Buffer.from('outbox:orders@1'), [RELAY_SEQUENCE_HEADER]: Buffer.from(sequence) }))).toEqual({ producer: 'outbox:orders@1', sequence });
  });

  it('counts an event with a missing or malformed sequence, or no producer, as unsequenced', () => {
    expect(provenanceOf(message(undefined))).toEqual({});
    expect(provenanceOf(message({ [RELAY_PRODUCER_HEADER]: 'orders' }))).toEqual({});
    expect(provenanceOf(message({ [RELAY_PRODUCER_HEADER]: 'orders', [RELAY_SEQUENCE_HEADER]: '42' }))).toEqual({});
    expect(provenanceOf(message({ [RELAY_PRODUCER_HEADER]: '', [RELAY_SEQUENCE_HEADER]: sequence }))).toEqual({});
  });

  it('takes a replay by the original it replays, ignoring any sequence it carries', () => {
    expect(provenanceOf(message({ [REPLAY_OF_HEADER]: 'relay.orders.v1:3:17', [RELAY_PRODUCER_HEADER]: 'orders', [RELAY_SEQUENCE_HEADER]: sequence }))).toEqual({
      replayOf: { topic: 'relay.orders.v1', partition: 3, offset: '17' },
    });
    expect(provenanceOf(message({ [REPLAY_OF_HEADER]: 'relay.orders.v1:3' }))).toEqual({ replayOf: null });
  });
});

describe('message positions', () => {
  it('parse what they print and nothing else', () => {
    const position = { topic: 'relay.orders.v1', partition: 0, offset: '9007199254740993' };
    expect(parseMessagePosition(formatMessagePosition(position))).toEqual(position);
    for (const bad of ['', 'a:b:c', 'relay.orders.v1:1:-1', 'relay.orders.v1:1:2:3', 'relay orders:1:2', 'relay.orders.v1::2']) expect(parseMessagePosition(bad)).toBeNull();
  });
});
