import { Admin, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { deadLetterTopicFor } from '@relay/contracts';
import { integrationEnv, uniqueName } from '@relay/testing';
import { ensureTopics } from './kafkajs-topic-provisioner';

jest.setTimeout(60_000);

describe('ensureTopics against a real broker', () => {
  const env = integrationEnv();
  const kafka = new Kafka({ clientId: 'provisioner-it', brokers: env.kafkaBrokers, ...env.kafkaClient, logLevel: logLevel.NOTHING });
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  async function settingsOf(topic: string): Promise<Record<string, string>> {
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
    return Object.fromEntries(resources[0].configEntries.map((entry) => [entry.configName, entry.configValue]));
  }

  it('creates dead-letter topics that keep their records until purged, and leaves other topics at the broker default', async () => {
    const source = uniqueName('it-source');
    const dlq = deadLetterTopicFor(source, 'inventory');
    await ensureTopics(kafka, [source, dlq].map((topic) => ({ topic, numPartitions: 2, replicationFactor: 1 })));
    expect((await settingsOf(dlq))['retention.ms']).toBe('-1');
    expect((await settingsOf(source))['retention.ms']).toBe('604800000');
  });

  it('brings an existing dead-letter topic to unlimited retention and keeps its other settings', async () => {
    const dlq = deadLetterTopicFor(uniqueName('it-source'), 'delivery');
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: dlq, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '604800000' }, { name: 'max.message.bytes', value: '2000000' }] }],
    });
    await ensureTopics(kafka, [{ topic: dlq, numPartitions: 1, replicationFactor: 1 }]);
    const settings = await settingsOf(dlq);
    expect(settings['retention.ms']).toBe('-1');
    expect(settings['max.message.bytes']).toBe('2000000');
  });
});
