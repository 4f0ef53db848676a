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

/** `name=value` pairs whose value is a secret, in a URL's query or a key=value connection string. */
const SECRET_PARAMETER = /((?:^|[?&;\s])[^=&;\s]*(?:password|passwd|pwd|secret|token|sslkey)[^=&;\s]*\s*=\s*)('[^']*'|[^&;\s]*)/gi;

/**
 * A variable's value as an error message may show it: a secret never. In a URL
 * (`postgres://relay:<password>@host/db`) the password is replaced by `***`, also when the value is
 * malformed (spaces, an unescaped `@` or `/` in the password, no scheme), since a bad value is the
 * one that gets shown; so is a `password=` parameter. A variable named like a secret shows no value
 * at all. Logs and crash reports travel further than the process.
 */
export function shownValue(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return 'a value, not shown: it is a secret';
  return `"${redactSecrets(value)}"`;
}

/** A URL or connection string with its password (`user:***@`, `password=***`) hidden, the rest kept for the operator. */
export function redactSecrets(value: string): string {
  return redactUserinfoPassword(value).replace(SECRET_PARAMETER, '$1***');
}

/**
 * `user:password@` before a host loses its password. The user information is taken to end at the
 * last `@` (a password may hold an unescaped one): when unsure, hide more, never less.
 */
function redactUserinfoPassword(value: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value);
  const authorityStart = scheme ? scheme[0].length : 0;
  const at = value.lastIndexOf('@');
  if (at < authorityStart) return value;
  const colon = value.indexOf(':', authorityStart);
  if (colon < 0 || colon > at) return value;
  return `${value.slice(0, colon)}:***${value.slice(at)}`;
}
