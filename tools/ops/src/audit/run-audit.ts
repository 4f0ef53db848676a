import { DEFAULT_GROUPS, DEFAULT_SCHEMAS, DEFAULT_SOURCE_TOPIC, integerFlag, kafkaNameFlag, parseBrokers, schemaFlag } from '../config';
import { withDatabase } from '../db';
import { UsageError } from '../errors';
import { createOpsKafka } from '../kafka';
import { consumerCheck, CONSUMERS } from './consumer-check';
import { lagBaseline, lagCheck } from './lag-check';
import { readOrdersSnapshot } from './orders-snapshot';
import { outboxCheck } from './outbox-check';
import { topicCheck } from './topic-check';
import { AuditOptions, AuditReport, CheckResult, ResolvedAuditOptions } from './types';

function resolve(options: AuditOptions): ResolvedAuditOptions {
  if (!Array.isArray(options.kafkaBrokers) || options.kafkaBrokers.length === 0) throw new UsageError('runAudit: kafkaBrokers is required');
  parseBrokers(options.kafkaBrokers.join(','), 'kafkaBrokers');
  if (!options.databaseUrl) throw new UsageError('runAudit: databaseUrl is required');
  const graceSeconds = options.graceSeconds ?? 10;
  const maxExamples = options.maxExamples ?? 5;
  integerFlag('grace-seconds', String(graceSeconds), { min: 0, max: 86_400 });
  integerFlag('examples', String(maxExamples), { min: 0, max: 10_000 });
  return {
    kafkaBrokers: options.kafkaBrokers,
    databaseUrl: options.databaseUrl,
    ordersSchema: schemaFlag('orders-schema', options.ordersSchema ?? DEFAULT_SCHEMAS.orders),
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
 * The reconciliation audit of a running system: (1) outbox, (2) topic, (3) each consumer group's
 * effects, (4) lag. Read-only. Resolves with the report (`ok` false when any gap was found);
 * rejects only when it cannot look (unreachable server, missing schema or table).
 */
export async function runAudit(input: AuditOptions): Promise<AuditReport> {
  const options = resolve(input);
  const started = Date.now();
  const kafka = createOpsKafka(options.kafkaBrokers);
  const targets = CONSUMERS.map((spec) => ({ spec, target: options[spec.id] }));

  const checks: CheckResult[] = await withDatabase(options.databaseUrl, async (db) => {
    options.onProgress('noting end offsets…');
    const baseline = await lagBaseline(
      kafka,
      targets.map(({ target }) => target),
      options,
    );
    options.onProgress(`reading schema ${options.ordersSchema}…`);
    const snapshot = await readOrdersSnapshot(db, options.ordersSchema, options.graceSeconds);
    const results: CheckResult[] = [outboxCheck(snapshot, options)];
    results.push(await topicCheck(kafka, db, snapshot, options));
    for (const { spec, target } of targets) {
      options.onProgress(`checking group ${target.group} in schema ${target.schema}…`);
      results.push(await consumerCheck(db, spec, target, snapshot, options));
    }
    options.onProgress('measuring lag…');
    results.push(await lagCheck(kafka, baseline, options, started + options.graceSeconds * 1_000));
    return results;
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
      inventory: options.inventory,
      delivery: options.delivery,
      topic: options.topic,
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
