import { z } from 'zod';

/** Thrown when the environment is invalid. Its message names every bad variable and why. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/**
 * Reads and validates environment variables against a schema shape, once, at boot. Every problem
 * is reported at once, each with the variable's name, so a misconfigured deployment fails fast
 * with one clear message instead of a stack trace from deep inside a driver.
 */
export function readEnv<TShape extends z.ZodRawShape>(
  shape: TShape,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<TShape>> {
  const values = Object.fromEntries(
    Object.keys(shape).map((name) => [name, env[name] === '' ? undefined : env[name]]),
  );
  const result = z.object(shape).safeParse(values);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const given = values[name];
      return `${name}: ${issue.message}${given === undefined ? ' (not set)' : ` (got ${shownValue(name, given)})`}`;
    }),
  );
}

/** Variables whose whole value is a secret, by name. */
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|PRIVATE_KEY|CREDENTIAL/i;

/**
 * A variable's value as an error message may show it: a secret never. The password in a URL
 * (`postgres://relay:<password>@host/db`) is replaced by `***`; a variable named like a secret
 * shows no value at all. Logs and crash reports travel further than the process.
 */
export function shownValue(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return 'a value, not shown: it is a secret';
  return `"${value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@/?#\s]*@/i, '$1:***@')}"`;
}
