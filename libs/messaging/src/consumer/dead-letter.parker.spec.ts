import { ConsumedRecord, OutgoingRecord } from '../kafka/driver/kafka-driver';
import { DeadLetterHeaders, toDeadLetterMessage } from './dead-letter';
import { DeadLetterParker, DeadLetterProducer } from './dead-letter.parker';

const original: ConsumedRecord = { key: Buffer.from('order-1'), value: Buffer.from('{"not":"an event"}'), offset: '42', timestamp: '0', headers: { traceparent: 'tp' } };

function recordingProducer() {
  const sent: { topic: string; messages: readonly OutgoingRecord[] }[] = [];
  const producer: DeadLetterProducer = { send: async (topic, messages) => void sent.push({ topic, messages }) };
  return { producer, sent };
}

const headersOf = (message: OutgoingRecord) => Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString()]));

describe('DeadLetterParker', () => {
  const warnings: string[] = [];
  const logger = { warn: (message: string) => void warnings.push(message) };
  beforeEach(() => (warnings.length = 0));

  it("parks a message on the group's dead-letter topic with provenance", async () => {
    const { producer, sent } = recordingProducer();
    const failedAt = new Date('2026-12-01T10:00:00Z');
    const why = { errorClass: 'Error', errorMessage: 'boom', attempts: 10, firstFailureAt: failedAt, lastFailureAt: failedAt };
    await new DeadLetterParker('inventory', () => producer, logger).park('relay.orders.v1', 3, original, why);
    expect(sent).toEqual([
      { topic: 'relay.orders.v1.dlq.inventory', messages: [toDeadLetterMessage(original, { sourceTopic: 'relay.orders.v1', partition: 3, consumerGroup: 'inventory', ...why })] },
    ]);
    expect(headersOf(sent[0].messages[0])).toMatchObject({ traceparent: 'tp', [DeadLetterHeaders.originalOffset]: '42' });
  });

  it('parks poison as one attempt, failed now, and says so in the log', async () => {
    const { producer, sent } = recordingProducer();
    const before = Date.now();
    await new DeadLetterParker('inventory', () => producer, logger).parkPoison('relay.orders.v1', 3, { ok: false, message: original, reason: 'bad-envelope', detail: 'invalid envelope: eventId' });
    const headers = headersOf(sent[0].messages[0]);
    expect(headers).toMatchObject({ [DeadLetterHeaders.errorClass]: 'PoisonMessage:bad-envelope', [DeadLetterHeaders.errorMessage]: 'invalid envelope: eventId', [DeadLetterHeaders.attempts]: '1' });
    expect(headers[DeadLetterHeaders.firstFailureAt]).toBe(headers[DeadLetterHeaders.lastFailureAt]);
    expect(Date.parse(headers[DeadLetterHeaders.firstFailureAt]!)).toBeGreaterThanOrEqual(before - 1);
    expect(warnings).toEqual(['poison message at relay.orders.v1[3]@42 (bad-envelope): invalid envelope: eventId; parking it']);
  });

  it('parks an event the retry stage gave up on with its attempts, first failure, and last failure now', async () => {
    const { producer, sent } = recordingProducer();
    const firstFailureAt = new Date('2026-12-01T10:00:00Z');
    await new DeadLetterParker('inventory', () => producer, logger).parkFailure('relay.orders.v1', 0, original, { errorClass: 'NonRetriableError', reason: 'no such order', attempts: 4, firstFailureAt });
    const headers = headersOf(sent[0].messages[0]);
    expect(headers).toMatchObject({
      [DeadLetterHeaders.errorClass]: 'NonRetriableError',
      [DeadLetterHeaders.errorMessage]: 'no such order',
      [DeadLetterHeaders.attempts]: '4',
      [DeadLetterHeaders.firstFailureAt]: '2026-12-01T10:00:00.000Z',
    });
    expect(Date.parse(headers[DeadLetterHeaders.lastFailureAt]!)).toBeGreaterThan(firstFailureAt.getTime());
    expect(warnings).toEqual([]);
  });

  it('fails, sending nothing, while the producer is not connected, and passes a send failure on', async () => {
    const parker = new DeadLetterParker('inventory', () => null, logger);
    await expect(parker.park('relay.orders.v1', 0, original, { errorClass: 'Error', errorMessage: 'x', attempts: 1, firstFailureAt: new Date(), lastFailureAt: new Date() })).rejects.toThrow(
      'dead-letter producer is not connected',
    );
    const failing: DeadLetterProducer = { send: () => Promise.reject(new Error('NOT_ENOUGH_REPLICAS')) };
    await expect(new DeadLetterParker('inventory', () => failing, logger).parkPoison('relay.orders.v1', 0, { ok: false, message: original, reason: 'not-json', detail: 'x' })).rejects.toThrow(
      'NOT_ENOUGH_REPLICAS',
    );
  });
});
