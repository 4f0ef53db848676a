/** The command line was wrong (unknown command or flag, bad value): exit code 2, no stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}

/** An expected failure (unreachable server, missing topic, refused replay): exit code 1, no stack trace. */
export class OpsError extends Error {
  override readonly name = 'OpsError';
  readonly exitCode = 1;
}

interface PgLikeError {
  code?: string;
  severity?: string;
  message: string;
}

/**
 * What to tell the operator about an error, and with which exit code. Expected errors (usage,
 * Kafka and PostgreSQL connectivity, refusals) are one line without a stack; anything else is a
 * bug in this tool and keeps its stack.
 */
export function describeError(error: unknown): { message: string; exitCode: number; expected: boolean } {
  if (error instanceof UsageError || error instanceof OpsError) return { message: error.message, exitCode: error.exitCode, expected: true };
  if (error instanceof Error) {
    if (error.name.startsWith('KafkaJS')) {
      const cause = (error as Error & { cause?: Error }).cause;
      const detail = cause && cause.message !== error.message ? ` (${cause.message})` : '';
      return { message: `Kafka: ${error.message}${detail}`, exitCode: 1, expected: true };
    }
    const pg = error as PgLikeError & NodeJS.ErrnoException;
    if (typeof pg.severity === 'string' || ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(pg.code ?? '')) {
      return { message: `PostgreSQL: ${error.message || pg.code}`, exitCode: 1, expected: true };
    }
  }
  return { message: error instanceof Error ? (error.stack ?? error.message) : String(error), exitCode: 1, expected: false };
}
