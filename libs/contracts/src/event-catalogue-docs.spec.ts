import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { EventCatalogue } from './event-catalogue';

const catalogue = readFileSync(path.resolve(__dirname, '../../../docs/events.md'), 'utf8');

function section(pattern: string): string {
  const start = catalogue.indexOf(`## ${pattern}\n`);
  if (start < 0) return '';
  const next = catalogue.indexOf('\n## ', start + 1);
  return catalogue.slice(start, next < 0 ? undefined : next);
}

describe('docs/events.md', () => {
  it.each([...EventCatalogue.values()].map((contract) => [contract.pattern, contract] as const))(
    'documents %s with its topic, its producer and every data field',
    (pattern, contract) => {
      const text = section(pattern);
      expect(text).not.toBe('');
      expect(text).toContain(`Topic \`${contract.topic}\``);
      expect(text).toContain(`producer \`${contract.producer}\``);
      const fields = Object.keys((contract.schema as unknown as z.ZodObject).shape);
      for (const field of fields) expect(text).toContain(`\`${field}\``);
    },
  );

  it('documents no event the contracts do not define', () => {
    const documented = [...catalogue.matchAll(/^## ([a-z-]+(?:\.[a-z-]+)*\.v\d+)$/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual([...EventCatalogue.keys()].sort());
  });
});
