import { parseCommandArgs } from '../args';
import { Command, ENVIRONMENT_HELP, KafkaConnection, kafkaFromEnv, printJson } from '../command';
import { DeadLetterSource, dlqOffsets, dlqTopicOf } from '../dead-letters';
import { UsageError } from '../errors';
import { count, plural } from '../io';
import { createOpsKafka, withAdmin } from '../kafka';
import { SOURCE_HELP, sourceFlags, sourceFrom } from './dlq-list';

export interface PurgeResult {
  dlqTopic: string;
  /** Per partition: records deleted (offsets `from` up to, not including, `to`). */
  partitions: { partition: number; from: string; to: string; deleted: number }[];
  deleted: number;
}

/** Deletes every record of the group's dead-letter topic up to its current end (new arrivals stay). */
export async function purgeDeadLetters(options: KafkaConnection & DeadLetterSource & { dryRun?: boolean }): Promise<PurgeResult> {
  const kafka = createOpsKafka(options.kafkaBrokers);
  const dlqTopic = dlqTopicOf(options);
  const offsets = await dlqOffsets(kafka, dlqTopic, options);
  const partitions = offsets
    .filter((entry) => entry.high > entry.low)
    .map((entry) => ({ partition: entry.partition, from: entry.low.toString(), to: entry.high.toString(), deleted: Number(entry.high - entry.low) }));
  if (partitions.length > 0 && !options.dryRun) {
    await withAdmin(kafka, async (admin) => {
      // deleteTopicRecords looks the partition leaders up in metadata it does not load itself.
      await admin.fetchTopicMetadata({ topics: [dlqTopic] });
      await admin.deleteTopicRecords({ topic: dlqTopic, partitions: partitions.map((entry) => ({ partition: entry.partition, offset: entry.to })) });
    });
  }
  return { dlqTopic, partitions, deleted: partitions.reduce((sum, entry) => sum + entry.deleted, 0) };
}

export const dlqPurgeCommand: Command = {
  name: 'dlq purge',
  summary: "delete every record of a group's dead-letter topic up to its current end (asks for --yes)",
  help: `Usage: npm run ops -- dlq purge --group <g> [--topic <t>] [--yes]

Deletes all records of the group's dead-letter topic up to its current end offsets (Kafka
DeleteRecords; messages parked while this runs are kept). There is no undo: replay what you need
first. Without --yes it asks on a terminal, and refuses (exit 2) when nobody can answer.

Options:
${SOURCE_HELP}
  --yes             do it without asking
  --json            machine-readable output (needs --yes)
  -h, --help

${ENVIRONMENT_HELP}`,
  async run(args, io) {
    const { values } = parseCommandArgs('dlq purge', args, { ...sourceFlags, yes: { type: 'boolean' }, json: { type: 'boolean' } }, { min: 0, max: 0, names: '' });
    if (values.help) {
      io.out(this.help);
      return 0;
    }
    const source = sourceFrom('dlq purge', values);
    const connection = kafkaFromEnv(io);
    if (!values.yes) {
      if (values.json || !io.interactive) throw new UsageError('dlq purge deletes records for good: re-run with --yes to confirm.');
      const preview = await purgeDeadLetters({ ...connection, ...source, dryRun: true });
      if (preview.deleted === 0) {
        io.out(`${preview.dlqTopic} is already empty`);
        return 0;
      }
      const answer = await io.ask(`Delete ${plural(preview.deleted, 'record')} from ${preview.dlqTopic}? Type "yes" to confirm: `);
      if (answer.trim().toLowerCase() !== 'yes') {
        io.err('not purged');
        return 1;
      }
    }
    const result = await purgeDeadLetters({ ...connection, ...source });
    if (values.json) {
      printJson(io, result);
      return 0;
    }
    for (const entry of result.partitions) io.out(`partition ${entry.partition}: deleted offsets ${entry.from}-${BigInt(entry.to) - 1n} (${count(entry.deleted)})`);
    io.out(result.deleted === 0 ? `${result.dlqTopic} was already empty` : `purged ${plural(result.deleted, 'record')} from ${result.dlqTopic}`);
    return 0;
  },
};
