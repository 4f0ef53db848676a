import type { z } from 'zod';
import { EnvExample, readEnvExample } from './env-example';
import { ReadmeSetting, readReadmeSettings } from './readme-settings';

export interface DocumentedSettingsOptions {
  /** The service reading the variables: a default equal to its name may be written "service name" in the README. */
  service: string;
  /**
   * Whether the documented defaults must be this service's: true for the one whose defaults
   * .env.example shows (orders: PORT=3000, DATABASE_SCHEMA=orders, …); the others share every
   * other default with it, so checking them once is enough.
   */
  defaults: boolean;
  /** Whether its variables are in the README's Configuration table too (the console's are in .env.example only). */
  readme: boolean;
  /** Variables whose default depends on where the process runs, each with why: only their presence is checked. */
  contextualDefaults?: Readonly<Record<string, string>>;
  envExample?: EnvExample;
  readmeSettings?: Map<string, ReadmeSetting>;
}

/** The default a field of an environment shape gives an unset variable, as text; undefined when it has none (required or optional). */
export function declaredDefault(field: z.ZodType): string | undefined {
  const parsed = field.safeParse(undefined);
  return parsed.success && parsed.data !== undefined ? String(parsed.data) : undefined;
}

/** Whether a README default cell states this default: as a word of it, or as "service name" when the default is the service's name. */
function statesDefault(text: string, declared: string, service: string): boolean {
  if (declared === service && /service name/.test(text)) return true;
  return text.split(/[\s`/,()]+/).includes(declared);
}

/**
 * What .env.example and the README's Configuration table get wrong about the variables a service
 * declares (its environment shape, where each variable, its default and its check are written
 * once): a variable either leaves out, or a default either shows other than the declared one.
 * Empty when both agree with the declaration.
 */
export function documentedSettingsProblems(shape: Readonly<Record<string, z.ZodType>>, options: DocumentedSettingsOptions): string[] {
  const envExample = options.envExample ?? readEnvExample();
  const readme = options.readmeSettings ?? (options.readme ? readReadmeSettings() : new Map<string, ReadmeSetting>());
  const problems: string[] = [];
  for (const [name, field] of Object.entries(shape)) {
    if (!envExample.serviceVariables.has(name)) problems.push(`${name}: not in .env.example`);
    const row = readme.get(name);
    if (options.readme && !row) problems.push(`${name}: not in the README's Configuration table`);
    const declared = declaredDefault(field);
    if (!options.defaults || declared === undefined || options.contextualDefaults?.[name] !== undefined) continue;
    const shown = envExample.defaults.get(name);
    if (shown !== undefined && shown !== declared) problems.push(`${name}: .env.example shows ${shown}, the declared default is ${declared}`);
    if (row && !statesDefault(row.defaultText, declared, options.service)) problems.push(`${name}: the README gives "${row.defaultText}" as its default, the declared default is ${declared}`);
  }
  return problems;
}
