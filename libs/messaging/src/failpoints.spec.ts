describe('failpoints', () => {
  const original = process.env.RELAY_FAILPOINTS;
  afterEach(() => {
    process.env.RELAY_FAILPOINTS = original;
    jest.restoreAllMocks();
  });

  async function load(spec: string | undefined) {
    process.env.RELAY_FAILPOINTS = spec;
    let module: typeof import('./failpoints') | undefined;
    jest.isolateModules(() => {
      module = require('./failpoints');
    });
    return module!;
  }

  it('does nothing when unset', async () => {
    const kill = jest.spyOn(process, 'kill').mockImplementation(() => true);
    const { failpoint } = await load(undefined);
    failpoint('relay-after-publish');
    expect(kill).not.toHaveBeenCalled();
  });

  it('kills the process with SIGKILL on the n-th hit of an armed point only', async () => {
    const kill = jest.spyOn(process, 'kill').mockImplementation(() => true);
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { failpoint } = await load('relay-after-publish@3, consumer-mid-effect');
    failpoint('relay-before-publish');
    failpoint('relay-after-publish');
    failpoint('relay-after-publish');
    expect(kill).not.toHaveBeenCalled();
    failpoint('relay-after-publish');
    expect(kill).toHaveBeenCalledWith(process.pid, 'SIGKILL');
    failpoint('consumer-mid-effect');
    expect(kill).toHaveBeenCalledTimes(2);
  });
});
