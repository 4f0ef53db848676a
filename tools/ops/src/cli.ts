import { Command } from './command';
import { describeError, UsageError } from './errors';
import { Io } from './io';

type Loader = () => Promise<Command>;

// Loaded on demand: `--help` and `topics` do not pay for what `dlq` and `audit` import.
const COMMANDS: { name: string; summary: string; load: Loader }[] = [
  { name: 'topics', summary: 'list topics with partition count and end offsets', load: async () => (await import('./commands/topics-list')).topicsListCommand },
  { name: 'topics describe', summary: 'one topic per partition: leader, replicas, low/high watermarks', load: async () => (await import('./commands/topics-describe')).topicsDescribeCommand },
  { name: 'lag', summary: 'committed offset, end offset and lag per group and partition', load: async () => (await import('./commands/lag')).lagCommand },
  { name: 'dlq list', summary: "a group's parked messages, oldest first", load: async () => (await import('./commands/dlq-list')).dlqListCommand },
  { name: 'dlq show', summary: 'one parked message in full (headers, value)', load: async () => (await import('./commands/dlq-show')).dlqShowCommand },
  { name: 'dlq replay', summary: 'produce parked messages back to their original topic', load: async () => (await import('./commands/dlq-replay')).dlqReplayCommand },
  { name: 'dlq purge', summary: "delete a group's dead-letter records up to the current end", load: async () => (await import('./commands/dlq-purge')).dlqPurgeCommand },
  { name: 'outbox quarantine', summary: 'events the outbox relays could never publish (Kafka refused them for good)', load: async () => (await import('./commands/outbox-quarantine')).outboxQuarantineCommand },
  { name: 'outbox republish', summary: 'publish a quarantined event to its topic (once its topic accepts it)', load: async () => (await import('./commands/outbox-republish')).outboxRepublishCommand },
  { name: 'token', summary: "mint a bearer token for the local stack (a customer's, or an admin's)", load: async () => (await import('./commands/token')).tokenCommand },
  { name: 'audit', summary: 'reconciliation audit: outboxes ↔ topics ↔ consumer effects, lag, final statuses', load: async () => (await import('./commands/audit')).auditCommand },
];

export const GLOBAL_HELP = `Relay operations: inspect topics and consumer lag, handle dead letters, audit the running system.

Usage: npm run ops -- <command> [options]
       npm run ops -- <command> --help

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(19)}${command.summary}`).join('\n')}

Environment:
  KAFKA_BROKERS   Kafka bootstrap servers, host:port[,host:port…] (default 127.0.0.1:9092, as npm start)
  DATABASE_URL    PostgreSQL URL (default postgres://relay:relay@127.0.0.1:5433/relay, as npm start)
  KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_SSL_CA_FILE
                  How to log in to Kafka (docs/operations.md). Default: SASL_SSL as the local stack's
                  ops principal (.relay/kafka-security), as npm start

Exit codes: 0 ok, 1 a finding or failure (e.g. an audit gap, an unreachable broker), 2 usage error.`;

/** Finds the command named by the first one or two words of argv. */
function resolveCommand(argv: string[]): { entry: (typeof COMMANDS)[number]; rest: string[] } | undefined {
  const [first, second] = argv;
  const two = COMMANDS.find((command) => command.name === `${first} ${second}`);
  if (two) return { entry: two, rest: argv.slice(2) };
  const one = COMMANDS.find((command) => command.name === first);
  if (one) return { entry: one, rest: argv.slice(1) };
  return undefined;
}

/** Runs the CLI; resolves with the exit code. Errors are printed, never thrown. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  try {
    const [first] = argv;
    if (first === undefined) {
      io.err(GLOBAL_HELP);
      return 2;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      if (argv.length > 1 && first === 'help') return runCli([...argv.slice(1), '--help'], io);
      io.out(GLOBAL_HELP);
      return 0;
    }
    const resolved = resolveCommand(argv);
    if (!resolved) {
      if (first === 'dlq') {
        const sub = argv[1];
        if (sub === undefined || sub === '--help' || sub === '-h') {
          const lines = COMMANDS.filter((command) => command.name.startsWith('dlq ')).map((command) => `  ${command.name.padEnd(12)}${command.summary}`);
          const text = `Usage: npm run ops -- dlq <list|show|replay|purge> --group <g> …\n\n${lines.join('\n')}\n\nSee npm run ops -- dlq <subcommand> --help.`;
          if (sub === undefined) {
            io.err(text);
            return 2;
          }
          io.out(text);
          return 0;
        }
        throw new UsageError(`unknown dlq subcommand "${sub}"; use list, show, replay or purge`);
      }
      if (first === 'outbox') throw new UsageError(`unknown outbox subcommand "${argv[1] ?? ''}"; use quarantine or republish. See \`npm run ops -- outbox quarantine --help\`.`);
      throw new UsageError(`unknown command "${first}"; commands: topics, lag, dlq, outbox, audit, token. See \`npm run ops -- --help\`.`);
    }
    const command = await resolved.entry.load();
    return await command.run(resolved.rest, io);
  } catch (error) {
    const { message, exitCode } = describeError(error);
    io.err(`error: ${message}`);
    return exitCode;
  }
}
