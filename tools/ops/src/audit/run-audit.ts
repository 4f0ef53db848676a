import { Topics } from '@relay/contracts';
import { DEFAULT_GROUPS, DEFAULT_ORDERS_GROUP, DEFAULT_SCHEMAS, DEFAULT_SOURCE_TOPIC, integerFlag, kafkaNameFlag, parseBrokers, schemaFlag } from '../config';
import { withDatabase } from '../db';
import { UsageError } from '../errors';
import { plural } from '../io';
import { createOpsKafka } from '../kafka';
import { consumerCheck } from './consumer-check';
import { AuditContext } from './context';
import { finalCheck } from './final-check';
import { partitionsBehind, readKafkaState } from './kafka-state';
import { lagCheck } from './lag-check';
import { CONSUMES, ServiceId, SERVICES, topicOf, topicsReadBy } from './model';
import { appliedEvents } from './applied-events';
import { addWalOutboxRows } from './wal-outbox-view';
import { outboxBacklogs, outboxCheck, recheckBacklogs } from './outbox-check';
import { addQuarantinedRows } from './quarantine-view';
import { readSnapshot } from './snapshot';
import { topicCheck } from './topic-check';
import { readTopic, ScannedTopic } from './topic-scan';
import { AuditOptions, AuditReport, CheckResult, ResolvedAuditOptions } from './types';

function resolve(options: AuditOptions): ResolvedAuditOptions {
  if (!Array.isArray(options.kafkaBrokers) || options.kafkaBrokers.length === 0) throw new UsageError('runAudit: kafkaBrokers is required');
  parseBrokers(options.kafkaBrokers.join(','), 'kafkaBrokers');
  if (!options.databaseUrl) throw new UsageError('runAudit: databaseUrl is required');
  const graceSeconds = options.graceSeconds ?? 10;
  const maxExamples = options.maxExamples ?? 5;
  integerFlag('grace-seconds', String(graceSeconds), { min: 0, max: 86_400 });
  integerFlag('examples', String(maxExamples), { min: 0, max: 10_000 });
  const ordersSchema = schemaFlag('orders-schema', options.ordersSchema ?? DEFAULT_SCHEMAS.orders);
  return {
    kafkaBrokers: options.kafkaBrokers,
    databaseUrl: options.databaseUrl,
    ordersSchema,
    orders: { schema: ordersSchema, group: kafkaNameFlag('orders-group', options.ordersGroup ?? DEFAULT_ORDERS_GROUP) },
    inventory: {
      schema: schemaFlag('inventory-schema', options.inventory?.schema ?? DEFAULT_SCHEMAS.inventory),
      group: kafkaNameFlag('inventory-group', options.inventory?.group ?? DEFAULT_GROUPS.inventory),
    },
    delivery: {
      schema: schemaFlag('delivery-schema', options.delivery?.schema ?? DEFAULT_SCHEMAS.delivery),
      group: kafkaNameFlag('delivery-group', options.delivery?.group ?? DEFAULT_GROUPS.delivery),
    },
    topic: kafkaNameFlag('topic', options.topic ?? DEFAULT_SOURCE_TOPIC),
    graceSeconds,
    maxExamples,
    sharedTopic: options.sharedTopic ?? false,
    onProgress: options.onProgress ?? (() => undefined),
  };
}

/**
 * The reconciliation audit of a running system, read-only, safe under load: (1) the outboxes,
 * (2-4) the three topics against them, (5-7) what each consumer group applied (its stored positions
 * against the topics) and the effects,
 * (8) lag, (9) final statuses of the orders nothing is in flight for. Resolves with the report
 * (`ok` false when any gap was found); rejects only when it cannot look (unreachable server,
 * missing schema or table).
 *
 * Order of reading: broker offsets, then one database snapshot of the three schemas, then the
 * topics to their end. A group commits an offset only after the work before it is durable, so
 * whatever a group had consumed when the audit started is in the snapshot, and whatever the
 * snapshot shows published is on the topics: in-flight work is never mistaken for a gap.
 */
export async function runAudit(input: AuditOptions): Promise<AuditReport> {
  const options = resolve(input);
  const started = Date.now();
  const deadline = started + options.graceSeconds * 1_000;
  const kafka = createOpsKafka(options.kafkaBrokers);

  const checks: CheckResult[] = await withDatabase(options.databaseUrl, async (db) => {
    options.onProgress('noting end and committed offsets…');
    const kafkaState = await readKafkaState(kafka, options);
    options.onProgress(`reading schemas ${SERVICES.map((service) => options[service].schema).join(', ')}…`);
    const snapshot = await readSnapshot(db, options);
    options.onProgress('database snapshot taken');
    const scans = {} as Record<ServiceId, ScannedTopic>;
    for (const service of SERVICES) scans[service] = await readTopic(kafka, topicOf(service, options.topic), options);
    for (const service of SERVICES) {
      const view = snapshot.wal[service];
      if (view) addWalOutboxRows(snapshot.outbox[service], view, scans[service], snapshot.xids);
      addQuarantinedRows(snapshot.outbox[service], snapshot.quarantine[service]);
    }
    const applied = {} as Record<ServiceId, Map<string, string>>;
    for (const service of SERVICES) {
      const read = topicsReadBy(service, options.topic);
      const readScans = SERVICES.filter((producer) => read.includes(topicOf(producer, options.topic))).map((producer) => scans[producer]);
      applied[service] = appliedEvents({ consumes: CONSUMES[service], scans: readScans, bookkeeping: snapshot.applied[service] });
    }
    const context: AuditContext = { db, options, kafka: kafkaState, snapshot, scans, applied };

    const topics: CheckResult[] = [];
    for (const service of SERVICES) topics.push(await topicCheck(context, service));
    const consumers: CheckResult[] = [];
    for (const service of ['inventory', 'delivery', 'orders'] as const) {
      options.onProgress(`checking group ${options[service].group} in schema ${options[service].schema}…`);
      consumers.push(await consumerCheck(context, service));
    }
    const final = finalCheck(context);

    // Wait (up to the grace period) for the groups to consume what was there at the start and
    // for overdue outbox rows to be published by a relay that makes no progress otherwise.
    options.onProgress('measuring lag…');
    const backlogs = outboxBacklogs(snapshot, options);
    for (;;) {
      const lag = await partitionsBehind(kafka, kafkaState);
      const waitingOnRelay = await recheckBacklogs(db, backlogs);
      if ((lag.behind.length === 0 && !waitingOnRelay) || Date.now() >= deadline) {
        const outbox = outboxCheck(context, backlogs);
        const lagResult = await lagCheck(kafka, kafkaState, lag, options);
        return [outbox, ...topics, ...consumers, lagResult, final];
      }
      const what = [lag.behind.length > 0 ? `${plural(lag.behind.length, 'partition')} to catch up` : '', waitingOnRelay ? 'overdue outbox rows to be published' : ''].filter(Boolean);
      options.onProgress(`waiting for ${what.join(' and ')}…`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, deadline - Date.now()))));
    }
  });

  const failed = checks.filter((check) => !check.ok);
  const gapCount = checks.reduce((sum, check) => sum + check.gaps.reduce((total, gap) => total + gap.count, 0), 0);
  return {
    ok: failed.length === 0,
    verdict:
      failed.length === 0
        ? `OK: no gaps in ${checks.length} checks`
        : `GAPS FOUND: ${gapCount} in ${failed.length} of ${checks.length} checks (${failed.map((check) => check.id).join(', ')})`,
    gapCount,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    scope: {
      ordersSchema: options.ordersSchema,
      orders: options.orders,
      inventory: options.inventory,
      delivery: options.delivery,
      topic: options.topic,
      topics: { orders: options.topic, inventory: Topics.inventoryEvents, delivery: Topics.deliveryEvents },
      graceSeconds: options.graceSeconds,
      sharedTopic: options.sharedTopic,
    },
    checks,
  };
}

/** The offenders of one kind of gap in one check (empty when there is none): for tests. */
export function gapExamples(report: AuditReport, check: CheckResult['id'], kind: string) {
  return report.checks.find((entry) => entry.id === check)?.gaps.find((gap) => gap.kind === kind)?.examples ?? [];
}

/** The examples of one kind of note in one check (empty when there is none): for tests. */
export function noteExamples(report: AuditReport, check: CheckResult['id'], kind: string) {
  return report.checks.find((entry) => entry.id === check)?.notes.find((note) => note.kind === kind)?.examples ?? [];
}
