import { parseArgs, ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * `util.parseArgs` in strict mode, with its errors turned into usage errors that name the flag
 * and point at the command's help.
 */
export function parseCommandArgs(command: string, args: string[], options: Options, positionals: { min: number; max: number; names: string }): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message
      .replace(/\. To specify a positional argument starting with a '-'.*$/s, '')
      .replace(/^Unknown option '([^']+)'$/, "unknown flag '$1'")
      .replace(/\s*\n\s*/g, ' ')
      .replace(/\.$/, '');
    throw new UsageError(`${command}: ${message}. See \`npm run ops -- ${command} --help\`.`);
  }
  const values = parsed.values as ParsedArgs['values'];
  if (values.help) return { values, positionals: parsed.positionals };
  const count = parsed.positionals.length;
  if (count < positionals.min || count > positionals.max) {
    const extra = count > positionals.max ? `unexpected argument "${parsed.positionals[positionals.max]}"` : `missing ${positionals.names}`;
    throw new UsageError(`${command}: ${extra}. See \`npm run ops -- ${command} --help\`.`);
  }
  return { values, positionals: parsed.positionals };
}

export function stringValue(values: ParsedArgs['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function requireValue(command: string, values: ParsedArgs['values'], name: string): string {
  const value = stringValue(values, name);
  if (value === undefined || value === '') throw new UsageError(`${command}: --${name} is required. See \`npm run ops -- ${command} --help\`.`);
  return value;
}
