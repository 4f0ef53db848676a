import { findUnsafeText } from './unsafe-text';

describe('findUnsafeText', () => {
  it('passes ordinary text, including tabs, new lines and non-Latin scripts', () => {
    expect(findUnsafeText({ customerId: 'c-1', items: [{ sku: 'SKU-1', quantity: 2 }], reason: 'changed\tmy\r\nmind — 変更 🙂' })).toEqual([]);
  });

  it('names each string holding a control character by its path', () => {
    expect(findUnsafeText({ customerId: 'c\u00001', items: [{ sku: 'SKU-1' }, { sku: 'A\u001bB' }], note: 'del\u007f' })).toEqual([
      { field: 'customerId', problem: 'customerId must not contain control characters' },
      { field: 'items.1.sku', problem: 'items.1.sku must not contain control characters' },
      { field: 'note', problem: 'note must not contain control characters' },
    ]);
  });

  it('refuses an unpaired surrogate, which JSON can carry and UTF-8 cannot', () => {
    const parsed = JSON.parse('{"shippingAddress":{"city":"Par\\ud800is"},"ok":"\\ud83d\\ude42"}');
    expect(findUnsafeText(parsed)).toEqual([{ field: 'shippingAddress.city', problem: 'shippingAddress.city must be well-formed Unicode (it holds an unpaired surrogate)' }]);
  });

  it('checks field names too, and a bare string parameter', () => {
    expect(findUnsafeText({ items: [{ 'a\u0000': 1 }] })).toEqual([{ field: '"items.0.a\\u0000"', problem: 'field names must not contain control characters' }]);
    expect(findUnsafeText('abc\u0000', 'id')).toEqual([{ field: 'id', problem: 'id must not contain control characters' }]);
  });
});
