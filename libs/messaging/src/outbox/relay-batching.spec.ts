import { TopicRecords } from '../kafka/driver/kafka-driver';
import { batchBytes, publishInOrder, recordBytes, RelayEvent, splitByBytes } from './relay-batching';

const event = (topic: string, index: number, valueBytes = 100): RelayEvent => ({
  topic,
  producer: 'p',
  sequence: String(index).padStart(4, '0'),
  eventId: `e${index}`,
  message: { key: `k${index % 3}`, value: 'x'.repeat(valueBytes), headers: { 'x-event-type': 'order.placed.v1', 'x-relay-sequence': String(index) } },
});
const ids = (events: readonly RelayEvent[]) => events.map((each) => each.eventId);

/** A Kafka that refuses, like a broker, any request holding a topic's records over its limit. */
function fakeKafka(limits: Record<string, number>, transient?: () => Error | undefined) {
  const requests: TopicRecords[][] = [];
  const written: string[] = [];
  const send = async (request: TopicRecords[]) => {
    requests.push(request);
    const failure = transient?.();
    if (failure) throw failure;
    for (const { topic, records } of request) {
      const bytes = 61 + records.reduce((sum, record) => sum + recordBytes(record as RelayEvent['message']), 0);
      if (bytes > limits[topic]) {
        // kafkajs's shape: a non-retriable wrapper around the protocol error.
        const protocol = Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { type: 'MESSAGE_TOO_LARGE', code: 10 });
        throw Object.assign(new Error(protocol.message), { name: 'KafkaJSNonRetriableError', cause: protocol });
      }
    }
    for (const { records } of request) for (const record of records) written.push(String(record.headers?.['x-relay-sequence']));
  };
  return { send, requests, written };
}

describe('splitByBytes', () => {
  it('keeps a batch that fits in one request', () => {
    const events = [event('a', 1), event('a', 2), event('b', 3)];
    expect(splitByBytes(events, () => 10_000)).toEqual([events]);
  });

  it('cuts consecutive requests in which each topic stays below its limit, in order', () => {
    const events = Array.from({ length: 10 }, (_, index) => event('a', index, 400));
    const limit = 2_000;
    const requests = splitByBytes(events, () => limit);
    expect(requests.length).toBeGreaterThan(2);
    expect(requests.flat()).toEqual(events);
    for (const request of requests) expect(batchBytes(request)).toBeLessThanOrEqual(limit);
  });

  it('counts each topic against its own limit', () => {
    const events = [event('small', 1, 500), event('big', 2, 500), event('small', 3, 500), event('big', 4, 500)];
    const requests = splitByBytes(events, (topic) => (topic === 'small' ? 800 : 100_000));
    expect(requests.map(ids)).toEqual([['e1', 'e2'], ['e3', 'e4']]);
  });

  it('gives an event over the limit alone a request of its own', () => {
    const events = [event('a', 1), event('a', 2), event('a', 3, 5_000), event('a', 4), event('a', 5)];
    expect(splitByBytes(events, () => 2_000).map(ids)).toEqual([['e1', 'e2'], ['e3'], ['e4', 'e5']]);
  });

  it('estimates no less than the bytes a record carries', () => {
    const message = event('a', 1, 1_000).message;
    const carried = Buffer.byteLength(message.key) + 1_000 + Object.entries(message.headers).reduce((sum, [name, value]) => sum + name.length + value.length, 0);
    expect(recordBytes(message)).toBeGreaterThan(carried);
    expect(recordBytes({ ...message, value: Buffer.alloc(1_000) })).toBe(recordBytes(message));
  });
});

describe('publishInOrder', () => {
  it('publishes a batch over the limit, whose events each fit, in several requests, all of them in order', async () => {
    const kafka = fakeKafka({ a: 2_000 });
    const events = Array.from({ length: 12 }, (_, index) => event('a', index, 300));
    const outcome = await publishInOrder(events, kafka.send, () => 2_000);
    expect(kafka.requests.length).toBeGreaterThan(1);
    expect(outcome.refused).toEqual([]);
    expect(ids(outcome.published)).toEqual(ids(events));
    expect(kafka.written).toEqual(events.map((each) => each.message.headers['x-relay-sequence']));
  });

  it('refuses an event that alone is too large, and publishes the ones before and after it in order', async () => {
    const kafka = fakeKafka({ a: 2_000 });
    const events = [event('a', 1), event('a', 2), event('a', 3, 3_000), event('a', 4), event('a', 5)];
    const outcome = await publishInOrder(events, kafka.send, () => 2_000);
    expect(ids(outcome.published)).toEqual(['e1', 'e2', 'e4', 'e5']);
    expect(kafka.written).toEqual(['1', '2', '4', '5']);
    expect(outcome.refused).toEqual([expect.objectContaining({ eventId: 'e3', reason: 'MESSAGE_TOO_LARGE', limitBytes: 2_000, sizeBytes: batchBytes([events[2]]) })]);
  });

  it('halves requests Kafka refuses although the limit it read says they fit (a lowered limit), down to the one event', async () => {
    const kafka = fakeKafka({ a: 1_000 });
    const events = Array.from({ length: 8 }, (_, index) => event('a', index + 1, index === 5 ? 1_500 : 100));
    // The relay still believes in the default limit: one request for all, refused.
    const outcome = await publishInOrder(events, kafka.send, () => 1_048_588);
    expect(kafka.requests.length).toBeGreaterThan(2);
    expect(ids(outcome.refused)).toEqual(['e6']);
    expect(ids(outcome.published)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e7', 'e8']);
    expect(kafka.written).toEqual(['1', '2', '3', '4', '5', '7', '8']);
  });

  it('throws anything else, refusing nothing: the batch stays queued', async () => {
    const authorization = Object.assign(new Error('Not authorized to access topics'), { type: 'TOPIC_AUTHORIZATION_FAILED', code: 29 });
    const denied = fakeKafka({ a: 2_000 }, () => authorization);
    await expect(publishInOrder([event('a', 1), event('a', 2, 3_000)], denied.send, () => 2_000)).rejects.toBe(authorization);
    const down = fakeKafka({ a: 2_000 }, () => Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' }));
    await expect(publishInOrder([event('a', 1)], down.send, () => 2_000)).rejects.toThrow('Connection error');
  });
});
