import { Kafka, Producer, ProducerBatch, ProducerConfig, RecordMetadata } from 'kafkajs';
import { UnacknowledgedPartitionsError, withCheckedBatches } from './checked-batches';

/** A kafkajs stand-in: its producer partitions by key length and acknowledges what `acknowledge` keeps. */
function fakeKafka(acknowledge: (partitions: RecordMetadata[]) => RecordMetadata[]): { kafka: Kafka; configs: ProducerConfig[] } {
  const configs: ProducerConfig[] = [];
  const kafka = {
    producer(config: ProducerConfig = {}): Producer {
      configs.push(config);
      const partitioner = config.createPartitioner!();
      return {
        async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
          const records: RecordMetadata[] = [];
          for (const { topic, messages } of batch.topicMessages ?? []) {
            const partitions = new Set(messages.map((message) => partitioner({ topic, message, partitionMetadata: [] })));
            for (const partition of partitions) records.push({ topicName: topic, partition, errorCode: 0, baseOffset: '0' });
          }
          return acknowledge(records);
        },
      } as unknown as Producer;
    },
  } as unknown as Kafka;
  return { kafka, configs };
}

const keyedBy = (topic: string, ...keys: string[]) => ({ topic, messages: keys.map((key) => ({ key, value: 'v' })) });
const byKeyLength = () => () => (args: { message: { key?: unknown } }) => String(args.message.key).length % 3;

describe('withCheckedBatches', () => {
  it('resolves with the acknowledgements when every partition of the batch was acknowledged', async () => {
    const { kafka } = fakeKafka((records) => records);
    const producer = withCheckedBatches(kafka).producer({ createPartitioner: byKeyLength() });
    const acknowledged = await producer.sendBatch({ acks: -1, topicMessages: [keyedBy('a', 'x', 'xx'), keyedBy('b', 'xxx')] });
    expect(acknowledged.map((record) => `${record.topicName}[${record.partition}]`)).toEqual(['a[1]', 'a[2]', 'b[0]']);
  });

  it('throws when kafkajs resolves without an acknowledgement for one of the partitions (tulios/kafkajs#1303)', async () => {
    const { kafka } = fakeKafka((records) => records.filter((record) => !(record.topicName === 'a' && record.partition === 2)));
    const producer = withCheckedBatches(kafka).producer({ createPartitioner: byKeyLength() });
    const sending = producer.sendBatch({ acks: -1, topicMessages: [keyedBy('a', 'x', 'xx'), keyedBy('b', 'xxx')] });
    await expect(sending).rejects.toThrow(UnacknowledgedPartitionsError);
    await expect(sending).rejects.toThrow(/no broker acknowledged a\[2\]/);
  });

  it('keeps the producer settings it was given, and judges each batch on its own', async () => {
    let dropAll = true;
    const { kafka, configs } = fakeKafka((records) => (dropAll ? [] : records));
    const producer = withCheckedBatches(kafka).producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: byKeyLength() });
    expect(configs[0]).toEqual(expect.objectContaining({ idempotent: true, maxInFlightRequests: 1 }));
    await expect(producer.sendBatch({ acks: -1, topicMessages: [keyedBy('a', 'x')] })).rejects.toThrow(/a\[1\]/);
    dropAll = false;
    await expect(producer.sendBatch({ acks: -1, topicMessages: [keyedBy('a', 'xx')] })).resolves.toHaveLength(1);
  });

  it('leaves the rest of the client as it is', () => {
    const { kafka } = fakeKafka((records) => records);
    const admin = {};
    (kafka as unknown as { admin: () => object }).admin = () => admin;
    expect(withCheckedBatches(kafka).admin()).toBe(admin);
  });
});
