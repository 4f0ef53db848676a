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
      return `${name}: ${issue.message}${given === undefined ? ' (not set)' : ` (got "${given}")`}`;
    }),
  );
}
