import { DeadLetterHeaders, toDeadLetterMessage } from './dead-letter';

describe('toDeadLetterMessage', () => {
  const original = { key: Buffer.from('order-1'), value: Buffer.from([0xde, 0xad]), headers: { 'x-correlation-id': Buffer.from('c-1') }, offset: '42', timestamp: '0', attributes: 0 };
  const failure = {
    sourceTopic: 'relay.orders.v1',
    partition: 3,
    consumerGroup: 'inventory',
    errorClass: 'PoisonMessage:not-json',
    errorMessage: 'value is not JSON: Unexpected token \u0000\u0007 in JSON',
    attempts: 1,
    firstFailureAt: new Date('2026-11-27T10:00:00Z'),
    lastFailureAt: new Date('2026-11-27T10:00:01Z'),
  };

  it('keeps the original key, value and headers and adds the provenance headers', () => {
    const parked = toDeadLetterMessage(original, failure);
    expect(parked.key).toBe(original.key);
    expect(parked.value).toBe(original.value);
    expect(parked.headers).toMatchObject({
      'x-correlation-id': original.headers['x-correlation-id'],
      [DeadLetterHeaders.originalTopic]: 'relay.orders.v1',
      [DeadLetterHeaders.originalPartition]: '3',
      [DeadLetterHeaders.originalOffset]: '42',
      [DeadLetterHeaders.consumerGroup]: 'inventory',
      [DeadLetterHeaders.errorClass]: 'PoisonMessage:not-json',
      [DeadLetterHeaders.attempts]: '1',
      [DeadLetterHeaders.firstFailureAt]: '2026-11-27T10:00:00.000Z',
      [DeadLetterHeaders.lastFailureAt]: '2026-11-27T10:00:01.000Z',
    });
  });

  it('keeps the error message printable', () => {
    expect(toDeadLetterMessage(original, failure).headers?.[DeadLetterHeaders.errorMessage]).toBe('value is not JSON: Unexpected token ?? in JSON');
  });
});
