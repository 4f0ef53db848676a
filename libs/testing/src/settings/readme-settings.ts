import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './env-example';

/** One variable's row in the README's Configuration table: which services read it, and its default as written. */
export interface ReadmeSetting {
  services: string;
  defaultText: string;
}

/**
 * The README's Configuration table (`| variable | services | default | meaning |`), by variable: a
 * row naming several (`KAFKA_USERNAME`, `KAFKA_PASSWORD`) gives each its share of the default
 * (`2097152 / 262144`, `` `relay-local` / `relay-api` ``) when the default has one part per name.
 */
export function readReadmeSettings(file = path.join(repoRoot, 'README.md')): Map<string, ReadmeSetting> {
  const settings = new Map<string, ReadmeSetting>();
  const text = readFileSync(file, 'utf8');
  const section = text.slice(text.indexOf('\n## Configuration'));
  for (const line of section.slice(0, section.indexOf('\n## ', 1)).split('\n')) {
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    if (cells.length !== 4 || !cells[0].startsWith('`')) continue;
    const names = [...cells[0].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]);
    const parts = cells[2].split(/\s+\/\s+|,\s+/);
    names.forEach((name, index) => {
      settings.set(name, { services: cells[1], defaultText: parts.length === names.length ? parts[index] : cells[2] });
    });
  }
  return settings;
}
