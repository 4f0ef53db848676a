import { parseCommandArgs, stringValue } from '../args';
import { Command, ENVIRONMENT_HELP, KafkaConnection, kafkaFromEnv, printJson } from '../command';
import { DEFAULT_CONSUMER_GROUPS, DEFAULT_SOURCE_TOPIC, listFlag } from '../config';
import { OpsError } from '../errors';
import { GroupLag, describeGroup, measureGroupLag } from '../groups';
import { count, table } from '../io';
import { createOpsKafka, withAdmin } from '../kafka';

export interface LagOptions extends KafkaConnection {
  groups?: string[];
  /** Measure these topics instead of the ones each group consumes. */
  topics?: string[];
}

/**
 * Committed offset, end offset and lag per group and partition. Topics default to what each group
 * subscribes to or has committed on; a group with neither is measured on relay.orders.v1.
 */
export async function groupsLag(options: LagOptions): Promise<GroupLag[]> {
  const kafka = createOpsKafka(options.kafkaBrokers);
  const groups = options.groups ?? DEFAULT_CONSUMER_GROUPS;
  return withAdmin(kafka, async (admin) => {
    const allTopics = await admin.listTopics();
    for (const topic of options.topics ?? []) {
      if (!allTopics.includes(topic)) throw new OpsError(`topic "${topic}" does not exist`);
    }
    const result: GroupLag[] = [];
    for (const group of groups) {
      const info = await describeGroup(admin, group, allTopics);
      const topics = options.topics ?? (info.topics.length > 0 ? info.topics : allTopics.includes(DEFAULT_SOURCE_TOPIC) ? [DEFAULT_SOURCE_TOPIC] : []);
      result.push(await measureGroupLag(kafka, info, topics));
    }
    return result;
  });
}

export const lagCommand: Command = {
  name: 'lag',
  summary: 'committed offset, end offset and lag per consumer group and partition',
  help: `Usage: npm run ops -- lag [--groups orders,inventory,delivery] [--topics t1,t2] [--json]

For each group: its state and members, then per topic and partition the committed offset (the
next offset it will read; -1 if it never committed there), the end offset, the lag and the member
that owns the partition now (its client id; - while no instance runs), with a
total per group and overall. Lag is reported, not judged: the exit code is 0.

Options:
  --groups <g1,g2>   consumer groups (default orders,inventory,delivery: every group npm start runs)
  --topics <t1,t2>   measure these topics (default: what each group subscribes to or has committed on)
  --json             machine-readable output
  -h, --help

${ENVIRONMENT_HELP}`,
  async run(args, io) {
    const { values } = parseCommandArgs('lag', args, { groups: { type: 'string' }, topics: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, names: '' });
    if (values.help) {
      io.out(this.help);
      return 0;
    }
    const groupsValue = stringValue(values, 'groups');
    const topicsValue = stringValue(values, 'topics');
    const lags = await groupsLag({
      ...kafkaFromEnv(io),
      groups: groupsValue === undefined ? undefined : listFlag('groups', groupsValue),
      topics: topicsValue === undefined ? undefined : listFlag('topics', topicsValue),
    });
    if (values.json) {
      printJson(io, lags);
      return 0;
    }
    const rows: string[][] = [];
    for (const lag of lags) {
      for (const p of lag.partitions) rows.push([lag.group, p.topic, String(p.partition), p.committedOffset, p.endOffset, count(BigInt(p.lag)), p.owner?.clientId ?? '-']);
      rows.push([lag.group, `total (${lag.state}, ${lag.members} member${lag.members === 1 ? '' : 's'})`, '', '', '', count(BigInt(lag.totalLag)), '']);
    }
    for (const line of table(['GROUP', 'TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'OWNER'], rows)) io.out(line);
    const total = lags.reduce((sum, lag) => sum + BigInt(lag.totalLag), 0n);
    io.out(`total lag: ${count(total)}`);
    return 0;
  },
};
