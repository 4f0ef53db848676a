import { readFile } from 'node:fs/promises';
import { IHeaders } from 'kafkajs';
import { decodeEvent } from '@relay/contracts';
import { RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER, REPLAY_OF_HEADER, REPLAYED_FROM_HEADER } from '@relay/messaging';
import { parseCommandArgs, stringValue } from '../args';
import { Command, ENVIRONMENT_HELP, KafkaConnection, kafkaFromEnv, printJson } from '../command';
import { formatPosition, parsePosition, RecordPosition } from '../config';
import { DeadLetter, DeadLetterSource, dlqOffsets, dlqTopicOf, readDeadLetters, sourceTopicOf } from '../dead-letters';
import { OpsError, UsageError } from '../errors';
import { plural, printable, ProgressCallback } from '../io';
import { connectProducer, createOpsKafka } from '../kafka';
import { scanProgress, SOURCE_HELP, sourceFlags, sourceFrom } from './dlq-list';

const oneLine = (text: string): string => printable(text.replace(/\s*\n\s*/g, '; '));

export { REPLAYED_FROM_HEADER };

export interface ReplayOptions extends KafkaConnection, DeadLetterSource {
  /** The records to replay; or `all`. */
  positions?: RecordPosition[];
  all?: boolean;
  /** A fixed-up value for the one record given; must decode as a valid event. */
  value?: Buffer | string;
  /** Check everything, produce nothing. */
  dryRun?: boolean;
  onProgress?: ProgressCallback;
}

export interface ReplayedRecord {
  from: string;
  key: string | null;
  eventId: string | null;
  eventType: string | null;
  fixedValue: boolean;
  to: { topic: string; partition: number; offset: string } | null;
}

export interface ReplayResult {
  dlqTopic: string;
  replayed: ReplayedRecord[];
  /** Records not replayed, and why (only with `all`: a single record that cannot be replayed is refused). */
  skipped: { from: string; reason: string }[];
}

/** Headers a replay never copies: it is claimed by the original it replays, not by a sequence. */
const NOT_REPLAYED: ReadonlySet<string> = new Set([REPLAYED_FROM_HEADER, REPLAY_OF_HEADER, RELAY_PRODUCER_HEADER, RELAY_SEQUENCE_HEADER]);

/**
 * Original headers minus the dead-letter ones and the producer sequence, plus where the replay came
 * from and the original message it replays. A consumer group applies the replay only by consuming
 * its record of having parked that original (so twice is once, and a group that applied the
 * original skips it); the sequence must go, since the group moved past it when it parked the event.
 * The record must have its provenance headers (replayProblem checks).
 */
export function replayHeaders(record: DeadLetter): IHeaders {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(record.rawHeaders)) {
    if (!name.startsWith('x-dlq-') && !NOT_REPLAYED.has(name) && value !== undefined) headers[name] = value;
  }
  headers[REPLAYED_FROM_HEADER] = `${record.dlqTopic}:${record.partition}:${record.offset}`;
  const original = record.original!;
  headers[REPLAY_OF_HEADER] = `${original.topic}:${original.partition}:${original.offset}`;
  return headers;
}

function checkFixedValue(value: Buffer, record: DeadLetter): { eventId: string; eventType: string } {
  const decoded = decodeEvent(value);
  if (!decoded.ok) throw new OpsError(`refusing to replay: the --value-file value is not a valid event (${decoded.reason}): ${oneLine(decoded.message)}`);
  const key = decoded.contract.keyOf(decoded.envelope.data);
  if (record.key !== key) {
    throw new OpsError(
      `refusing to replay: the fixed ${decoded.contract.pattern} belongs under key ${key}, but ${formatPosition(record)} has key ${record.key ?? '(none)'}; ` +
        `replaying keeps the original key (and so the partition and per-key order)`,
    );
  }
  return { eventId: decoded.envelope.eventId, eventType: decoded.contract.pattern };
}

/**
 * A record goes back only to the topic its dead-letter topic belongs to, whatever its headers say:
 * anyone who can write to a dead-letter topic could otherwise have the replay (run with the
 * operator's rights) write to any topic. A record whose header names another topic is refused.
 */
function targetProblem(record: DeadLetter, sourceTopic: string): string | undefined {
  if (!record.original) return `it has no x-dlq-original-topic header`;
  if (record.original.topic !== sourceTopic) {
    return `its x-dlq-original-topic header names ${record.original.topic}, but ${record.dlqTopic} holds dead letters of ${sourceTopic}, the only topic a replay from it goes to`;
  }
  if (record.original.partition === null || record.original.offset === null || !/^\d+$/.test(record.original.offset)) {
    return `it has no valid x-dlq-original-partition and x-dlq-original-offset headers (a consumer applies a replay by the original it replays)`;
  }
  return undefined;
}

function replayProblem(record: DeadLetter, sourceTopic: string): string | undefined {
  const target = targetProblem(record, sourceTopic);
  if (target) return target;
  if (!record.decodes) return `its value does not decode (${oneLine(record.decodeError ?? '')}); replayed as it is it would be parked again: give a fixed value with --value-file`;
  return undefined;
}

/**
 * Produces parked messages back to the topic they came from, with their key, value (or a fixed
 * value) and headers, through an idempotent producer with acks from all in-sync replicas.
 * A group applies a replay once, and only if it parked the original (see replayHeaders), so
 * replaying twice is harmless.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayResult> {
  const positions = options.positions ?? [];
  if (options.all === (positions.length > 0)) throw new UsageError('dlq replay: give either <partition>:<offset> or --all');
  if (options.value !== undefined && positions.length !== 1) throw new UsageError('dlq replay: --value-file replaces the value of exactly one record; give one <partition>:<offset>');
  const kafka = createOpsKafka(options.kafkaBrokers);
  const dlqTopic = dlqTopicOf(options);
  const sourceTopic = sourceTopicOf(options);
  const offsets = await dlqOffsets(kafka, dlqTopic, options);
  const records = await readDeadLetters(kafka, dlqTopic, offsets, options.all ? { onProgress: options.onProgress } : { positions, onProgress: options.onProgress });
  const fixedValue = options.value === undefined ? undefined : Buffer.from(options.value);

  const plan: { record: DeadLetter; value: Buffer | null; eventId: string | null; eventType: string | null }[] = [];
  const skipped: ReplayResult['skipped'] = [];
  for (const record of records) {
    if (fixedValue) {
      const target = targetProblem(record, sourceTopic);
      if (target) throw new OpsError(`refusing to replay ${formatPosition(record)}: ${target}`);
      plan.push({ record, value: fixedValue, ...checkFixedValue(fixedValue, record) });
      continue;
    }
    const problem = replayProblem(record, sourceTopic);
    if (problem && !options.all) throw new OpsError(`refusing to replay ${formatPosition(record)}: ${problem}`);
    if (problem) skipped.push({ from: formatPosition(record), reason: problem });
    else plan.push({ record, value: record.value, eventId: record.eventId, eventType: record.eventType });
  }

  const replayed: ReplayedRecord[] = [];
  if (options.dryRun || plan.length === 0) {
    for (const { record, eventId, eventType } of plan) replayed.push({ from: formatPosition(record), key: record.key, eventId, eventType, fixedValue: Boolean(fixedValue), to: null });
    return { dlqTopic, replayed, skipped };
  }
  const producer = await connectProducer(kafka);
  try {
    // One at a time, in the order they were parked: per-key order is kept.
    for (const { record, value, eventId, eventType } of plan) {
      const [metadata] = await producer.send({ topic: sourceTopic, acks: -1, messages: [{ key: record.key, value, headers: replayHeaders(record) }] });
      replayed.push({
        from: formatPosition(record),
        key: record.key,
        eventId,
        eventType,
        fixedValue: Boolean(fixedValue),
        to: { topic: sourceTopic, partition: metadata.partition, offset: metadata.baseOffset ?? '?' },
      });
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  return { dlqTopic, replayed, skipped };
}

export const dlqReplayCommand: Command = {
  name: 'dlq replay',
  summary: 'produce parked messages back to their original topic (optionally with a fixed value)',
  help: `Usage: npm run ops -- dlq replay --group <g> [--topic <t>] <partition>:<offset> [--value-file fixed.json] [--dry-run]
       npm run ops -- dlq replay --group <g> [--topic <t>] --all [--dry-run]

Produces parked messages back to the topic the dead-letter topic belongs to (<topic> of
<topic>.dlq.<group>; a record whose x-dlq-original-topic header names another is refused), with the
original key and value and the original headers minus the x-dlq-* ones and the producer sequence,
plus x-replayed-from: <dlqTopic>:<partition>:<offset> and x-replay-of: <topic>:<partition>:<offset>
(the original). The producer is idempotent and waits for all in-sync replicas. Replaying is safe:
a group applies a replay only by consuming its record of having parked that original, so a record
replayed twice is applied once, and groups that applied the original skip it.
The dead-letter record stays where it is (dlq purge removes records).

--value-file replaces the value of the one record given: the file must hold a valid event
(checked with the contracts catalogue) whose key is the record's key, or the replay is refused.
Without it, a record whose value does not decode is refused (--all skips such records and says so:
replayed as they are, they would only be parked again).

Options:
${SOURCE_HELP}
  --all               replay every record on the dead-letter topic (up to its current end)
  --value-file <f>    replay this value instead of the parked one (one record only)
  --dry-run           check and show what would be replayed; produce nothing
  --json              machine-readable output
  -h, --help

Exit codes: 0 all replayed, 1 refused, failed or (--all) some records skipped, 2 usage error.

${ENVIRONMENT_HELP}`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      'dlq replay',
      args,
      { ...sourceFlags, all: { type: 'boolean' }, 'value-file': { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
      { min: 0, max: 100, names: '' },
    );
    if (values.help) {
      io.out(this.help);
      return 0;
    }
    const source = sourceFrom('dlq replay', values);
    const positions = positionals.map(parsePosition);
    if (Boolean(values.all) === positions.length > 0) throw new UsageError('dlq replay: give either <partition>:<offset> or --all. See `npm run ops -- dlq replay --help`.');
    const valueFile = stringValue(values, 'value-file');
    if (valueFile !== undefined && positions.length !== 1) throw new UsageError('dlq replay: --value-file needs exactly one <partition>:<offset>.');
    let value: Buffer | undefined;
    if (valueFile !== undefined) {
      try {
        value = await readFile(valueFile);
      } catch (error) {
        throw new UsageError(`dlq replay: cannot read --value-file ${valueFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    const result = await replayDeadLetters({
      ...kafkaFromEnv(io),
      ...source,
      positions,
      all: Boolean(values.all),
      value,
      dryRun: Boolean(values['dry-run']),
      onProgress: scanProgress(io, dlqTopicOf(source)),
    });
    if (values.json) {
      printJson(io, result);
      return result.skipped.length > 0 ? 1 : 0;
    }
    for (const item of result.replayed) {
      const event = `${item.eventType ?? '?'} ${item.eventId ?? '?'}${item.fixedValue ? ' (fixed value)' : ''}`;
      io.out(item.to ? `replayed ${item.from} → ${item.to.topic} partition ${item.to.partition} offset ${item.to.offset}: key ${item.key ?? '(none)'}, ${event}` : `would replay ${item.from}: key ${item.key ?? '(none)'}, ${event}`);
    }
    for (const item of result.skipped) io.out(`skipped ${item.from}: ${item.reason}`);
    io.out(`${values['dry-run'] ? 'would replay' : 'replayed'} ${plural(result.replayed.length, 'message')} from ${result.dlqTopic}${result.skipped.length > 0 ? `, skipped ${result.skipped.length}` : ''}`);
    return result.skipped.length > 0 ? 1 : 0;
  },
};
