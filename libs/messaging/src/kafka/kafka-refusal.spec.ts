import { AuthenticationError, MultipleErrors, NetworkError, ProtocolError, ResponseError } from '@platformatic/kafka';
import { describeKafkaError, kafkaRefusalOf } from './kafka-refusal';

/** The Produce API's key: the request @platformatic/kafka names in a ResponseError. */
const PRODUCE_API = 0;

describe('kafkaRefusalOf', () => {
  it('tells kafkajs errors for records refused for good from configuration problems and from transient failures', () => {
    const wrapped = (type: string, code: number) => Object.assign(new Error('x'), { name: 'KafkaJSNonRetriableError', cause: Object.assign(new Error('y'), { type, code }) });
    expect(kafkaRefusalOf(wrapped('MESSAGE_TOO_LARGE', 10))).toMatchObject({ kind: 'event', type: 'MESSAGE_TOO_LARGE', code: 10 });
    expect(kafkaRefusalOf(Object.assign(new Error('x'), { code: 10 }))).toMatchObject({ kind: 'event', type: 'MESSAGE_TOO_LARGE', code: 10 });
    expect(kafkaRefusalOf(wrapped('RECORD_LIST_TOO_LARGE', 18))?.kind).toBe('event');
    expect(kafkaRefusalOf(wrapped('INVALID_RECORD', 87))?.kind).toBe('event');
    expect(kafkaRefusalOf(wrapped('TOPIC_AUTHORIZATION_FAILED', 29))).toMatchObject({ kind: 'configuration', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29 });
    expect(kafkaRefusalOf(wrapped('CLUSTER_AUTHORIZATION_FAILED', 31))?.kind).toBe('configuration');
    expect(kafkaRefusalOf(Object.assign(new Error('x'), { name: 'KafkaJSSASLAuthenticationError' }))?.kind).toBe('configuration');
    expect(kafkaRefusalOf(wrapped('NOT_LEADER_FOR_PARTITION', 6))).toBeUndefined();
    expect(kafkaRefusalOf(new Error('Connection timeout'))).toBeUndefined();
    expect(kafkaRefusalOf(undefined)).toBeUndefined();
  });

  it('reads the Kafka error code of @platformatic/kafka\'s errors, one per partition of a response, and the same table decides', () => {
    const response = (...codes: number[]) => new ResponseError(PRODUCE_API, 11, Object.fromEntries(codes.map((code, i) => [`/responses/0/partitions/${i}`, [code, null]])), {});
    expect(kafkaRefusalOf(response(10))).toMatchObject({ kind: 'event', type: 'MESSAGE_TOO_LARGE', code: 10 });
    // The partition's error says what happened; the response around it only that the request failed.
    expect(kafkaRefusalOf(response(10))?.message).toMatch(/larger than the max message size/);
    expect(kafkaRefusalOf(response(18))?.kind).toBe('event');
    expect(kafkaRefusalOf(response(87))?.kind).toBe('event');
    expect(kafkaRefusalOf(response(29))).toMatchObject({ kind: 'configuration', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29 });
    // Its retries give up with every attempt's error.
    expect(kafkaRefusalOf(new MultipleErrors('Produce failed 2 times.', [new NetworkError('Connection closed'), response(10)]))?.type).toBe('MESSAGE_TOO_LARGE');
    expect(kafkaRefusalOf(new AuthenticationError('SASL authentication failed.', { cause: new ProtocolError('SASL_AUTHENTICATION_FAILED') }))?.kind).toBe('configuration');
    expect(kafkaRefusalOf(new MultipleErrors('Produce failed 1 times.', [new ProtocolError('SASL_AUTHENTICATION_FAILED')]))).toMatchObject({ kind: 'configuration', type: 'SASL_AUTHENTICATION_FAILED', code: 58 });
    expect(kafkaRefusalOf(new AuthenticationError('Cannot find a suitable SASL mechanism.'))).toMatchObject({ kind: 'configuration', type: 'PLT_KFK_AUTHENTICATION' });
    expect(kafkaRefusalOf(response(6))).toBeUndefined();
    expect(kafkaRefusalOf(new MultipleErrors('Produce failed 3 times.', [new NetworkError('Connection closed')]))).toBeUndefined();
  });

  it('never quarantines while the relay may not write: an authorization failure anywhere in the error wins', () => {
    const mixed = new ResponseError(PRODUCE_API, 11, { '/responses/0/partitions/0': [10, null], '/responses/1/partitions/0': [29, null] }, {});
    expect(kafkaRefusalOf(mixed)?.kind).toBe('configuration');
  });
});

describe('describeKafkaError', () => {
  it('names the Kafka error inside @platformatic/kafka\'s "Producing messages failed.", each reason once', () => {
    const attempt = () => new ProtocolError('NOT_ENOUGH_REPLICAS');
    const failed = new MultipleErrors('Producing messages failed.', [new MultipleErrors('retries exhausted', [attempt(), attempt(), attempt()])]);
    const line = describeKafkaError(failed);
    expect(line).toMatch(/^Producing messages failed\. \(/);
    expect(line).toContain('NOT_ENOUGH_REPLICAS: ');
    expect(line.match(/NOT_ENOUGH_REPLICAS/g)).toHaveLength(1);
  });

  it('names the cause of a kafkajs error, and leaves an error with nothing inside as it is', () => {
    const kafkajs = Object.assign(new Error('Retries exhausted'), { cause: Object.assign(new Error('Messages are rejected since there are fewer in-sync replicas than required'), { type: 'NOT_ENOUGH_REPLICAS', code: 19 }) });
    expect(describeKafkaError(kafkajs)).toBe('Retries exhausted (NOT_ENOUGH_REPLICAS: Messages are rejected since there are fewer in-sync replicas than required)');
    expect(describeKafkaError(new Error('Connection timeout'))).toBe('Connection timeout');
    expect(describeKafkaError('not an error')).toBe('not an error');
  });
});
