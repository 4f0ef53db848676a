import { requestLogLevel } from './observability.module';

describe('requestLogLevel (the "request completed" line)', () => {
  const atLevel = (enabled: string[]) => ({ log: { isLevelEnabled: (level: string) => enabled.includes(level) } });
  const debugOn = atLevel(['debug', 'info']);
  const debugOff = atLevel(['info']);

  it('logs requests answered 400 or above, and failed ones, at info', () => {
    for (const status of [400, 404, 422, 500, 503]) expect(requestLogLevel('errors', debugOff, status)).toBe('info');
    expect(requestLogLevel('errors', debugOff, 200, new Error('socket hang up'))).toBe('info');
  });

  it('logs successful requests at debug only, and does not build the line at all when debug is off', () => {
    expect(requestLogLevel('errors', debugOn, 201)).toBe('debug');
    expect(requestLogLevel('errors', debugOff, 201)).toBe('silent');
  });

  it('logs every request at info with LOG_HTTP_REQUESTS=all', () => {
    expect(requestLogLevel('all', debugOff, 201)).toBe('info');
    expect(requestLogLevel('all', debugOff, 404)).toBe('info');
  });
});
