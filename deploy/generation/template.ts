/**
 * The template language of the generated deploy files: `{{name}}` placeholders and nothing else.
 * A placeholder alone on its line takes a block: one line or several, each indented as the
 * placeholder is (an empty block removes the line). Anywhere else it takes a one-line value.
 * A placeholder with no value, or a value no placeholder uses, is an error: a template and its
 * generator cannot drift apart unnoticed.
 */

export type TemplateValues = Readonly<Record<string, string | number | readonly string[]>>;

const BLOCK_LINE = /^(\s*)\{\{(\w+)\}\}$/;
const PLACEHOLDER = /\{\{(\w+)\}\}/g;

export function renderTemplate(template: string, values: TemplateValues, templateName: string): string {
  const used = new Set<string>();
  const valueOf = (name: string) => {
    if (!(name in values)) throw new Error(`${templateName}: no value for {{${name}}}`);
    used.add(name);
    return values[name];
  };
  const lines = template.split('\n').flatMap((line) => {
    const block = BLOCK_LINE.exec(line);
    if (block) {
      const value = valueOf(block[2]);
      const blockLines = typeof value === 'string' ? (value === '' ? [] : value.split('\n')) : typeof value === 'number' ? [String(value)] : value;
      return blockLines.map((blockLine) => (blockLine === '' ? '' : block[1] + blockLine));
    }
    return [
      line.replace(PLACEHOLDER, (_placeholder, name: string) => {
        const value = valueOf(name);
        if (typeof value === 'number') return String(value);
        if (typeof value !== 'string' || value.includes('\n')) throw new Error(`${templateName}: {{${name}}} is inside a line, so its value must be one line`);
        return value;
      }),
    ];
  });
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`${templateName}: no placeholder for ${unused.map((name) => `{{${name}}}`).join(', ')}`);
  return lines.join('\n');
}
