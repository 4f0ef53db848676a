import { parseCommandArgs, stringValue } from '../args';
import { Command, connectionFromEnv, ENVIRONMENT_HELP, printJson } from '../command';
import { DEFAULT_SOURCE_TOPIC, integerFlag, kafkaNameFlag, listFlag, schemaFlag } from '../config';
import { UsageError } from '../errors';
import { formatAuditReport } from '../audit/format';
import { runAudit } from '../audit/run-audit';
import { AuditOptions } from '../audit/types';

const flags = {
  'orders-schema': { type: 'string' },
  'inventory-schema': { type: 'string' },
  'delivery-schema': { type: 'string' },
  'inventory-group': { type: 'string' },
  'delivery-group': { type: 'string' },
  groups: { type: 'string' },
  topic: { type: 'string' },
  'grace-seconds': { type: 'string' },
  examples: { type: 'string' },
  'shared-topic': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function groupsFrom(values: Record<string, string | boolean | undefined>): { inventory?: string; delivery?: string } {
  const inventory = stringValue(values, 'inventory-group');
  const delivery = stringValue(values, 'delivery-group');
  const groups = stringValue(values, 'groups');
  if (groups === undefined) {
    return { inventory: inventory === undefined ? undefined : kafkaNameFlag('inventory-group', inventory), delivery: delivery === undefined ? undefined : kafkaNameFlag('delivery-group', delivery) };
  }
  if (inventory !== undefined || delivery !== undefined) throw new UsageError('audit: give --groups or --inventory-group/--delivery-group, not both');
  const names = listFlag('groups', groups);
  if (names.length !== 2) throw new UsageError(`--groups for audit is <inventory group>,<delivery group> (two names), got "${groups}"`);
  return { inventory: names[0], delivery: names[1] };
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'reconcile orders, outbox, topic and consumer effects; exit 1 on any gap',
  help: `Usage: npm run ops -- audit [--orders-schema orders] [--inventory-schema inventory] [--delivery-schema delivery]
                             [--groups inventory,delivery] [--grace-seconds 10] [--shared-topic] [--json]

The reconciliation audit of a running system. Read-only; prints a verdict.
  1. outbox: every order has its order.placed event in the outbox, published (unpublished events
     older than the grace period are gaps, younger ones pending)
  2. topic: reads ${DEFAULT_SOURCE_TOPIC} from the beginning with a throw-away consumer; every
     order.placed on it belongs to an existing order and every order's published event is on it
     (copies of one eventId are counted, not gaps)
  3. consumers: for inventory (reservations) and delivery (deliveries), every order's event is in
     the group's processed_events and its effect row exists exactly once; no effect row exists for
     an order that does not
  4. lag: each group has consumed everything that was on its topics when the audit started
     (waiting up to the grace period); parked dead letters are counted

Options:
  --orders-schema <s>       orders' schema (default orders)
  --inventory-schema <s>    inventory's schema (default inventory)
  --delivery-schema <s>     delivery's schema (default delivery)
  --groups <inv>,<del>      the inventory and delivery consumer groups (default inventory,delivery)
  --inventory-group <g>, --delivery-group <g>   the same, one at a time
  --topic <t>               the order events topic (default ${DEFAULT_SOURCE_TOPIC})
  --grace-seconds <N>       time an event may take to be published and applied (default 10)
  --examples <N>            offenders listed per finding (default 5)
  --shared-topic            other stacks publish to the same topic (per-test schemas on one
                            broker): events and effects of orders this schema's outbox never
                            produced are counted as foreign, not as orphans
  --json                    the report as JSON
  -h, --help

Exit codes: 0 no gaps, 1 gaps found (or the audit could not run), 2 usage error.

${ENVIRONMENT_HELP}`,
  async run(args, io) {
    const { values } = parseCommandArgs('audit', args, flags, { min: 0, max: 0, names: '' });
    if (values.help) {
      io.out(this.help);
      return 0;
    }
    const schema = (flag: 'orders-schema' | 'inventory-schema' | 'delivery-schema') => {
      const value = stringValue(values, flag);
      return value === undefined ? undefined : schemaFlag(flag, value);
    };
    const groups = groupsFrom(values);
    const grace = stringValue(values, 'grace-seconds');
    const examples = stringValue(values, 'examples');
    const topic = stringValue(values, 'topic');
    const options: AuditOptions = {
      ...connectionFromEnv(io),
      ordersSchema: schema('orders-schema'),
      inventory: { schema: schema('inventory-schema'), group: groups.inventory },
      delivery: { schema: schema('delivery-schema'), group: groups.delivery },
      topic: topic === undefined ? undefined : kafkaNameFlag('topic', topic),
      graceSeconds: grace === undefined ? undefined : integerFlag('grace-seconds', grace, { min: 0, max: 86_400 }),
      maxExamples: examples === undefined ? undefined : integerFlag('examples', examples, { min: 0, max: 10_000 }),
      sharedTopic: Boolean(values['shared-topic']),
      onProgress: (message) => io.err(message),
    };
    const report = await runAudit(options);
    if (values.json) printJson(io, report);
    else for (const line of formatAuditReport(report)) io.out(line);
    return report.ok ? 0 : 1;
  },
};
