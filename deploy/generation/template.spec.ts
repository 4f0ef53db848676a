import { renderTemplate } from './template';

describe('renderTemplate', () => {
  it('fills one-line values inside lines and indents a block as its placeholder', () => {
    const template = ['name: {{name}}', 'port: "{{port}}"', 'triggers:', '  {{triggers}}', 'end'].join('\n');
    expect(renderTemplate(template, { name: 'orders', port: 3000, triggers: ['- a', '  b: 1'] }, 't')).toBe(['name: orders', 'port: "3000"', 'triggers:', '  - a', '    b: 1', 'end'].join('\n'));
  });

  it('removes the line of an empty block and leaves blank lines of a block unindented', () => {
    expect(renderTemplate('a\n  {{none}}\n  {{two}}\nb', { none: [], two: ['x', '', 'y'] }, 't')).toBe('a\n  x\n\n  y\nb');
  });

  it('refuses a placeholder with no value, a value no placeholder uses and a block inside a line', () => {
    expect(() => renderTemplate('{{missing}}', {}, 'service.yaml')).toThrow('service.yaml: no value for {{missing}}');
    expect(() => renderTemplate('a', { extra: 'x' }, 'service.yaml')).toThrow('service.yaml: no placeholder for {{extra}}');
    expect(() => renderTemplate('a: {{lines}}', { lines: ['x', 'y'] }, 'service.yaml')).toThrow(/must be one line/);
  });
});
