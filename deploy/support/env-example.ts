import { readFileSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../..');

export interface EnvExample {
  /** Variables the services read: every one .env.example shows, except its `npm start only` section. */
  serviceVariables: Set<string>;
  /** Defaults shown commented out, as `# NAME=value`. */
  defaults: Map<string, string>;
}

/** .env.example lists every variable the services read (a test in the apps keeps it complete). */
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
    if (variable[1]) defaults.set(variable[2], variable[3].trim());
  }
  return { serviceVariables, defaults };
}
