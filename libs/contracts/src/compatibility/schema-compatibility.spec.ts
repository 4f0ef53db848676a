import { schemaIncompatibilities } from './schema-compatibility';

const object = (properties: Record<string, unknown>, required: string[]) => ({ type: 'object', properties, required });
const text = { type: 'string' };
const count = { type: 'integer' };
const published = object({ orderId: text, quantity: count, note: text }, ['orderId', 'quantity']);

describe('schemaIncompatibilities', () => {
  it('passes an unchanged schema, and one with an optional field added', () => {
    expect(schemaIncompatibilities(published, published)).toEqual([]);
    expect(schemaIncompatibilities(published, object({ orderId: text, quantity: count, note: text, channel: text }, ['orderId', 'quantity']))).toEqual([]);
  });

  it('passes changed bounds and formats, which it does not compare', () => {
    expect(schemaIncompatibilities(published, object({ orderId: { ...text, format: 'uuid' }, quantity: { ...count, maximum: 10 }, note: text }, ['orderId', 'quantity']))).toEqual([]);
  });

  it('fails a removed field, required or optional', () => {
    expect(schemaIncompatibilities(published, object({ orderId: text, quantity: count }, ['orderId', 'quantity']))).toEqual(['data.note: removed']);
    expect(schemaIncompatibilities(published, object({ orderId: text, note: text }, ['orderId']))).toEqual(['data.quantity: removed']);
  });

  it('fails a retyped field', () => {
    expect(schemaIncompatibilities(published, object({ orderId: text, quantity: text, note: text }, ['orderId', 'quantity']))).toEqual([
      'data.quantity: retyped (published as integer, now string)',
    ]);
  });

  it('fails a field made nullable, and a fixed value changed (a const, an enum value added or removed)', () => {
    expect(schemaIncompatibilities(published, object({ orderId: text, quantity: count, note: { anyOf: [text, { type: 'null' }] } }, ['orderId', 'quantity']))).toEqual([
      'data.note: retyped (1 alternative(s) published, 2 now)',
    ]);
    const reason = (values: string[]) => object({ reason: { type: 'string', enum: values } }, ['reason']);
    expect(schemaIncompatibilities(reason(['A', 'B']), reason(['B', 'A']))).toEqual([]);
    expect(schemaIncompatibilities(reason(['A', 'B']), reason(['A', 'B', 'C']))).toEqual([expect.stringMatching(/^data\.reason: retyped/)]);
    expect(schemaIncompatibilities(reason(['A', 'B']), reason(['A']))).toEqual([expect.stringMatching(/^data\.reason: retyped/)]);
    expect(schemaIncompatibilities({ type: 'string', const: 'X' }, { type: 'string', const: 'Y' })).toEqual([expect.stringMatching(/^data: retyped/)]);
  });

  it('fails a required field added, and a field whose requirement changed either way', () => {
    expect(schemaIncompatibilities(published, object({ orderId: text, quantity: count, note: text, channel: text }, ['orderId', 'quantity', 'channel']))).toEqual([
      'data.channel: a required field added (events already published lack it; add it as optional)',
    ]);
    expect(schemaIncompatibilities(published, object({ orderId: text, quantity: count, note: text }, ['orderId', 'quantity', 'note']))).toEqual([
      'data.note: now required (events already published may lack it)',
    ]);
    expect(schemaIncompatibilities(published, object({ orderId: text, quantity: count, note: text }, ['orderId']))).toEqual([
      'data.quantity: no longer required (readers of the published version count on it)',
    ]);
  });

  it('looks into array items and each alternative of a union, naming the path', () => {
    const lines = (line: object) => object({ lines: { type: 'array', items: line } }, ['lines']);
    expect(schemaIncompatibilities(lines(object({ sku: text }, ['sku'])), lines(object({}, [])))).toEqual(['data.lines[].sku: removed']);
    const union = (second: object) => ({ oneOf: [object({ code: { type: 'string', const: 'A' } }, ['code']), second] });
    expect(schemaIncompatibilities(union(object({ sku: text }, ['sku'])), union(object({ sku: count }, ['sku'])))).toEqual([
      'data[alternative 2].sku: retyped (published as string, now integer)',
    ]);
  });
});
