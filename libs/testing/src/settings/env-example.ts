import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The repository's root folder, where .env.example and README.md are. */
export const repoRoot = path.resolve(__dirname, '../../../..');

export interface EnvExample {
  /** Variables the services read: every one .env.example shows, except its `npm start only` section. */
  serviceVariables: Set<string>;
  /** Defaults shown commented out, as `# NAME=value`; the first one where a name is shown twice. */
  defaults: Map<string, string>;
}

/** .env.example lists every variable the services read (documentedSettingsProblems, run by the apps' specs, keeps it complete). */
export function readEnvExample(file = path.join(repoRoot, '.env.example')): EnvExample {
  const serviceVariables = new Set<string>();
  const defaults = new Map<string, string>();
  let section = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const header = /^#\s*---\s*(.+?)\s*-{3,}\s*$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const variable = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!variable || /npm start only/i.test(section)) continue;
    serviceVariables.add(variable[2]);
    // The first default shown is the services' (the console's section shows its own PORT later).
    if (variable[1] && !defaults.has(variable[2])) defaults.set(variable[2], variable[3].trim());
  }
  return { serviceVariables, defaults };
}
