import { parseCommandArgs } from '../args';
import { Command, ENVIRONMENT_HELP, KafkaConnection, kafkaFromEnv, printJson } from '../command';
import { formatPosition, parsePosition, RecordPosition } from '../config';
import { DeadLetter, DeadLetterSource, deadLetterView, dlqOffsets, dlqTopicOf, printableText, readDeadLetters } from '../dead-letters';
import { printable } from '../io';
import { createOpsKafka } from '../kafka';
import { SOURCE_HELP, sourceFlags, sourceFrom } from './dlq-list';

export interface ShowDeadLetterOptions extends KafkaConnection, DeadLetterSource {
  position: RecordPosition;
}

/** One parked message, in full. */
export async function showDeadLetter(options: ShowDeadLetterOptions): Promise<DeadLetter> {
  const kafka = createOpsKafka(options.kafkaBrokers);
  const dlqTopic = dlqTopicOf(options);
  const offsets = await dlqOffsets(kafka, dlqTopic, options);
  const [record] = await readDeadLetters(kafka, dlqTopic, offsets, { positions: [options.position] });
  return record;
}

function valueLines(value: Buffer | null): string[] {
  if (value === null) return ['(no value)'];
  const text = value.toString('utf8');
  try {
    return JSON.stringify(JSON.parse(text), null, 2).split('\n');
  } catch {
    if (printableText(value) !== undefined) return [`(not JSON, ${value.length} bytes of text)`, text];
    const hex = value.subarray(0, 1_024).toString('hex').match(/.{1,64}/g) ?? [];
    return [`(binary, ${value.length} bytes; hex${value.length > 1_024 ? ', first 1,024 bytes' : ''})`, ...hex];
  }
}

export const dlqShowCommand: Command = {
  name: 'dlq show',
  summary: 'one parked message in full: headers and value',
  help: `Usage: npm run ops -- dlq show --group <g> [--topic <t>] <partition>:<offset> [--json]

Shows one parked message of the group's dead-letter topic in full: key, every header (the
original ones and the x-dlq-* provenance), the value pretty-printed, and whether the value
decodes as a valid event today.

Options:
${SOURCE_HELP}
  --json            machine-readable output
  -h, --help

${ENVIRONMENT_HELP}`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('dlq show', args, { ...sourceFlags, json: { type: 'boolean' } }, { min: 1, max: 1, names: '<partition>:<offset>' });
    if (values.help) {
      io.out(this.help);
      return 0;
    }
    const source = sourceFrom('dlq show', values);
    const record = await showDeadLetter({ ...kafkaFromEnv(io), ...source, position: parsePosition(positionals[0]) });
    if (values.json) {
      printJson(io, deadLetterView(record));
      return 0;
    }
    io.out(`${record.dlqTopic} ${formatPosition(record)} (parked ${record.parkedAt})`);
    io.out(`key: ${record.key ?? '(none)'}`);
    io.out('headers:');
    // The original headers first, then the dead-letter provenance.
    const byOrigin = (name: string) => (name.startsWith('x-dlq-') ? 1 : 0);
    const headers = Object.entries(record.headers).sort(([a], [b]) => byOrigin(a) - byOrigin(b) || a.localeCompare(b));
    for (const [name, value] of headers) io.out(`  ${name}: ${printable(value).replace(/\n/g, '\n    ')}`);
    io.out(record.decodes ? `value (decodes as ${record.eventType}, event ${record.eventId}):` : `value (does not decode: ${printable((record.decodeError ?? '').replace(/\s*\n\s*/g, '; '))}):`);
    for (const line of valueLines(record.value)) io.out(line);
    return 0;
  },
};
