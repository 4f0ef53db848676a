import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_CLIENTS } from '@relay/service-runtime';
import { integrationEnv, uniqueName } from '@relay/testing';
import { testDriver } from './test-drivers';

jest.setTimeout(60_000);

// The consumer status endpoint and the lag metric read a group's lag through the port: both
// adapters must read the same offsets.
describe.each(KAFKA_CLIENTS)('KafkaDriver.groupLag on %s against real Kafka', (client) => {
  const env = integrationEnv();
  const kafka = new Kafka({ clientId: 'group-lag-it', brokers: env.kafkaBrokers, ...env.kafkaClient, logLevel: logLevel.NOTHING });
  const driver = testDriver(env, client, 'group-lag-it');

  it('gives every partition the group\'s committed offset and lag, counting from the log\'s start where it committed nothing', async () => {
    const topic = uniqueName(`it-group-lag-${client}`);
    const group = uniqueName(`it_group_lag_${client}`);
    await driver.ensureTopics([{ topic, numPartitions: 2, replicationFactor: 1 }]);
    const producer = await driver.connectProducer();
    try {
      await producer.send(topic, ['a', 'b', 'c', 'd', 'e'].map((value) => ({ key: 'same-key', value })));
    } finally {
      await producer.disconnect();
    }
    // One key: all five records in one partition. The group commits offset 2 there, nothing in the other.
    const admin = kafka.admin();
    await admin.connect();
    let written: number;
    try {
      written = (await admin.fetchTopicOffsets(topic)).find((partition) => partition.high === '5')!.partition;
      await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: written, offset: '2' }] });
    } finally {
      await admin.disconnect();
    }

    expect(await driver.groupLag(group, [topic])).toEqual([0, 1].map((partition) =>
      partition === written
        ? { topic, partition, committedOffset: '2', endOffset: '5', lag: '3' }
        : { topic, partition, committedOffset: '-1', endOffset: '0', lag: '0' },
    ));
  });
});
