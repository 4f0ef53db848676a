import { Topics } from '@relay/contracts';
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
  'orders-group': { type: 'string' },
  'inventory-group': { type: 'string' },
  'delivery-group': { type: 'string' },
  groups: { type: 'string' },
  topic: { type: 'string' },
  'grace-seconds': { type: 'string' },
  examples: { type: 'string' },
  'shared-topic': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function groupsFrom(values: Record<string, string | boolean | undefined>): { orders?: string; inventory?: string; delivery?: string } {
  const one = (flag: 'orders-group' | 'inventory-group' | 'delivery-group') => {
    const value = stringValue(values, flag);
    return value === undefined ? undefined : kafkaNameFlag(flag, value);
  };
  const single = { orders: one('orders-group'), inventory: one('inventory-group'), delivery: one('delivery-group') };
  const groups = stringValue(values, 'groups');
  if (groups === undefined) return single;
  if (single.orders !== undefined || single.inventory !== undefined || single.delivery !== undefined) {
    throw new UsageError('audit: give --groups or --orders-group/--inventory-group/--delivery-group, not both');
  }
  const names = listFlag('groups', groups);
  if (names.length === 3) return { orders: names[0], inventory: names[1], delivery: names[2] };
  if (names.length === 2) return { inventory: names[0], delivery: names[1] };
  throw new UsageError(`--groups for audit is <orders group>,<inventory group>,<delivery group> (or <inventory group>,<delivery group>), got "${groups}"`);
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'reconcile outboxes, topics, consumer effects, lag and final statuses; exit 1 on any gap',
  help: `Usage: npm run ops -- audit [--orders-schema orders] [--inventory-schema inventory] [--delivery-schema delivery]
                             [--groups orders,inventory,delivery] [--grace-seconds 10] [--shared-topic] [--json]

The reconciliation audit of a running system. Read-only and safe under load: it notes the
consumer groups' committed offsets, takes one database snapshot of the three schemas, then reads
${DEFAULT_SOURCE_TOPIC}, ${Topics.inventoryEvents} and ${Topics.deliveryEvents} from the beginning with a
throw-away consumer. Work still in flight is reported as pending or in flight, never as a gap.
  1. outbox: every order has its order.placed event (and a cancelled one its order.cancelled);
     unpublished rows of the orders, inventory and delivery outboxes are listed with their age;
     a row older than the grace period whose relay published nothing during the audit is a gap
  2-4. topics: each topic holds every published row of its service's outbox, and every event on
     it comes from an outbox row whose order / reservation / delivery exists (copies of one
     eventId are counted, not gaps)
  5-7. consumers: inventory (order.placed/cancelled), delivery (order.placed/cancelled,
     stock.reserved/rejected) and orders (stock.reserved/rejected, delivery.scheduled/cancelled):
     every event the group had consumed when the audit started is below the position it stored
     with its effects and was not parked (or was replayed and claimed; events published before
     producer sequences: its processed_events row); each reservation, delivery and order status
     is what the applied events make it; each
     decided reservation raised one stock.reserved|rejected (plus stock.released once released),
     each SCHEDULED/CANCELLED delivery its delivery event; no effect without an applied event
     or for an order that does not exist
  8. lag: each of the three groups has consumed, per partition, everything that was on its
     topics when the audit started (waiting up to the grace period); parked dead letters counted
  9. final: every order whose events are all published and consumed is SCHEDULED, REJECTED or
     CANCELLED, and its reservation and delivery agree; the others are in flight

Options:
  --orders-schema <s>       orders' schema (default orders)
  --inventory-schema <s>    inventory's schema (default inventory)
  --delivery-schema <s>     delivery's schema (default delivery)
  --groups <o>,<i>,<d>      the orders, inventory and delivery consumer groups (default
                            orders,inventory,delivery); two names set inventory and delivery only
  --orders-group <g>, --inventory-group <g>, --delivery-group <g>   the same, one at a time
  --topic <t>               the order events topic (default ${DEFAULT_SOURCE_TOPIC})
  --grace-seconds <N>       how long an outbox row may stay unpublished, and the longest the audit
                            waits for groups and relays to catch up (default 10)
  --examples <N>            offenders listed per finding (default 5)
  --shared-topic            other stacks publish to the same topics (per-test schemas on one
                            broker): events and effects of orders this stack never produced are
                            counted as foreign, not as orphans
  --json                    the report as JSON
  -h, --help

Exit codes: 0 no gaps, 1 gaps found (or the audit could not run: unreachable server, missing
schema), 2 usage error (bad flag, bad KAFKA_BROKERS or DATABASE_URL).

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
      ordersGroup: groups.orders,
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
