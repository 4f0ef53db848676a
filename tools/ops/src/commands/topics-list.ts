import { parseCommandArgs } from '../args';
import { Command, ENVIRONMENT_HELP, KafkaConnection, kafkaFromEnv, printJson } from '../command';
import { count, table } from '../io';
import { createOpsKafka, topicOffsets, withAdmin } from '../kafka';

export interface TopicSummary {
  topic: string;
  partitions: number;
  /** End offset (high watermark) per partition. */
  endOffsets: { partition: number; end: string }[];
  /** Sum of the end offsets: every message ever written. */
  totalEnd: string;
  /** Messages still in the log (end minus earliest offset, summed). */
  retained: string;
}

/** Every topic with its partition count and end offsets. */
export async function listTopics(options: KafkaConnection & { includeInternal?: boolean }): Promise<TopicSummary[]> {
  return withAdmin(createOpsKafka(options.kafkaBrokers), async (admin) => {
    const names = (await admin.listTopics()).filter((name) => options.includeInternal || !name.startsWith('__')).sort();
    const summaries: TopicSummary[] = [];
    for (const topic of names) {
      const offsets = await topicOffsets(admin, topic);
      summaries.push({
        topic,
        partitions: offsets.length,
        endOffsets: offsets.map((entry) => ({ partition: entry.partition, end: entry.high.toString() })),
        totalEnd: offsets.reduce((sum, entry) => sum + entry.high, 0n).toString(),
        retained: offsets.reduce((sum, entry) => sum + entry.high - entry.low, 0n).toString(),
      });
    }
    return summaries;
  });
}

export const topicsListCommand: Command = {
  name: 'topics',
  summary: 'list topics with partition count and end offsets (topics describe <topic>: per partition)',
  help: `Usage: npm run ops -- topics [--all] [--json]
       npm run ops -- topics describe <topic> [--json]

Lists every topic with its partition count, the messages it holds and its end offset per
partition (partition:end). "topics describe <topic>" shows each partition's leader, replicas and
low/high watermarks.

Options:
  --all     include Kafka's internal topics (__consumer_offsets)
  --json    machine-readable output
  -h, --help

${ENVIRONMENT_HELP}`,
  async run(args, io) {
    const { values } = parseCommandArgs('topics', args, { all: { type: 'boolean' }, json: { type: 'boolean' } }, { min: 0, max: 0, names: '' });
    if (values.help) {
      io.out(this.help);
      return 0;
    }
    const topics = await listTopics({ ...kafkaFromEnv(io), includeInternal: Boolean(values.all) });
    if (values.json) {
      printJson(io, topics);
      return 0;
    }
    if (topics.length === 0) {
      io.out('no topics');
      return 0;
    }
    const rows = topics.map((topic) => [
      topic.topic,
      String(topic.partitions),
      count(BigInt(topic.retained)),
      topic.endOffsets.map((entry) => `${entry.partition}:${entry.end}`).join(' '),
    ]);
    for (const line of table(['TOPIC', 'PARTITIONS', 'MESSAGES', 'END OFFSETS (partition:end)'], rows)) io.out(line);
    return 0;
  },
};
