import { parseCommandArgs, requireValue, stringValue } from '../args';
import { Command, ENVIRONMENT_HELP, KafkaConnection, kafkaFromEnv, printJson } from '../command';
import { DEFAULT_SOURCE_TOPIC, formatPosition, integerFlag, kafkaNameFlag } from '../config';
import { DeadLetter, DeadLetterSource, deadLetterView, dlqOffsets, dlqTopicOf, readDeadLetters } from '../dead-letters';
import { count, Io, plural, ProgressCallback, progressLine, truncate } from '../io';
import { createOpsKafka } from '../kafka';

export interface ListDeadLettersOptions extends KafkaConnection, DeadLetterSource {
  /** Oldest first, at most this many (default all). */
  limit?: number;
  onProgress?: ProgressCallback;
}

export interface DeadLetterList {
  dlqTopic: string;
  /** Records on the topic now (all partitions). */
  total: number;
  records: DeadLetter[];
}

/** The parked messages of a group's dead-letter topic, oldest first. */
export async function listDeadLetters(options: ListDeadLettersOptions): Promise<DeadLetterList> {
  const kafka = createOpsKafka(options.kafkaBrokers);
  const dlqTopic = dlqTopicOf(options);
  const offsets = await dlqOffsets(kafka, dlqTopic, options);
  const total = offsets.reduce((sum, entry) => sum + Number(entry.high - entry.low), 0);
  // The oldest N overall are among the oldest N of each partition.
  const records = await readDeadLetters(kafka, dlqTopic, offsets, { perPartitionLimit: options.limit, onProgress: options.onProgress });
  return { dlqTopic, total, records: options.limit === undefined ? records : records.slice(0, options.limit) };
}

export const sourceFlags = { group: { type: 'string' }, topic: { type: 'string' } } as const;

export const SOURCE_HELP = `  --group <g>       the consumer group whose dead letters these are (required), e.g. inventory
  --topic <t>       the topic that group consumed (default ${DEFAULT_SOURCE_TOPIC}); the dead-letter
                    topic is <topic>.dlq.<group>`;

export function sourceFrom(command: string, values: Record<string, string | boolean | undefined>): DeadLetterSource {
  const topic = stringValue(values, 'topic');
  return { group: kafkaNameFlag('group', requireValue(command, values, 'group')), sourceTopic: topic === undefined ? undefined : kafkaNameFlag('topic', topic) };
}

export const scanProgress = (io: Io, topic: string) => progressLine(io, (done, total) => `scanned ${count(done)}/${count(total)} messages of ${topic}`);

function describe(record: DeadLetter): string[] {
  const event = record.eventType || record.eventId ? `${record.eventType ?? 'unknown type'} ${record.eventId ?? '(no eventId)'}` : 'not an event';
  const origin = record.original ? `${record.original.topic} partition ${record.original.partition ?? '?'} offset ${record.original.offset ?? '?'}` : 'unknown origin';
  const failed =
    record.firstFailureAt && record.lastFailureAt && record.firstFailureAt !== record.lastFailureAt
      ? `failed ${record.firstFailureAt} … ${record.lastFailureAt}`
      : `failed ${record.lastFailureAt ?? record.parkedAt}`;
  return [
    `${formatPosition(record)}  key ${record.key ?? '(none)'}  ${event}`,
    `      ${record.errorClass ?? 'unknown error'} after ${plural(record.attempts ?? 0, 'attempt')}: ${truncate(record.errorMessage ?? '', 160)}`,
    `      from ${origin}; ${failed}`,
  ];
}

export const dlqListCommand: Command = {
  name: 'dlq list',
  summary: "a group's parked messages: position, key, event, error, attempts, origin, failure times",
  help: `Usage: npm run ops -- dlq list --group <g> [--topic <t>] [--limit N] [--json]

Lists the messages parked on a group's dead-letter topic, oldest first: position
(<partition>:<offset>, for dlq show/replay), key, eventId and type when the value has them, the
error class and message, attempts, where it came from and when it failed.

Options:
${SOURCE_HELP}
  --limit <N>       show at most N (default 50; 0 = all)
  --json            machine-readable output
  -h, --help

${ENVIRONMENT_HELP}`,
  async run(args, io) {
    const { values } = parseCommandArgs('dlq list', args, { ...sourceFlags, limit: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, names: '' });
    if (values.help) {
      io.out(this.help);
      return 0;
    }
    const source = sourceFrom('dlq list', values);
    const limitValue = stringValue(values, 'limit');
    const limit = limitValue === undefined ? 50 : integerFlag('limit', limitValue, { min: 0 });
    const dlqTopic = dlqTopicOf(source);
    const list = await listDeadLetters({ ...kafkaFromEnv(io), ...source, limit: limit === 0 ? undefined : limit, onProgress: scanProgress(io, dlqTopic) });
    if (values.json) {
      printJson(io, { ...list, records: list.records.map(deadLetterView) });
      return 0;
    }
    io.out(`${list.dlqTopic}: ${plural(list.total, 'parked message')}${list.records.length < list.total ? ` (showing the oldest ${count(list.records.length)}; --limit 0 for all)` : ''}`);
    for (const record of list.records) for (const line of describe(record)) io.out(line);
    return 0;
  },
};
