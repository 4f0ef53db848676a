import { readEnv } from '../config/read-env';
import { ConfigError } from '../config/read-env';
import { assertedIdentity } from './asserted-identity';
import { authEnvShape, callerIdentificationFrom, isLoopbackHost } from './auth.settings';

const keyless = { AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a', AUTH_CLOCK_TOLERANCE_SECONDS: 5 };

describe('HTTP_AUTH', () => {
  it('is bearer unless set, and takes only the known modes, naming the variable', () => {
    expect(readEnv(authEnvShape(), {}).HTTP_AUTH).toBe('bearer');
    expect(readEnv(authEnvShape(), { HTTP_AUTH: 'insecure-header' }).HTTP_AUTH).toBe('insecure-header');
    expect(() => readEnv(authEnvShape(), { HTTP_AUTH: 'off' })).toThrow(/HTTP_AUTH: must be one of bearer, insecure-header \(got "off"\)/);
  });

  it('bearer still needs its keys', () => {
    expect(() => callerIdentificationFrom({ ...keyless, HTTP_AUTH: 'bearer' }, { variable: 'HOST', host: '127.0.0.1' })).toThrow(/AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE: required/);
    expect(callerIdentificationFrom({ ...keyless, HTTP_AUTH: 'bearer', AUTH_PUBLIC_KEY_FILE: '/k.pem' }, { variable: 'HOST', host: '0.0.0.0' })).toMatchObject({ mode: 'bearer' });
  });
});

describe('the loopback fence of HTTP_AUTH=insecure-header', () => {
  it('knows loopback addresses from routable ones', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.10', 'orders.internal', '128.0.0.1', '127.0.0.1.example.com']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('starts on a loopback HOST, without keys', () => {
    expect(callerIdentificationFrom({ ...keyless, HTTP_AUTH: 'insecure-header' }, { variable: 'HOST', host: '127.0.0.1' })).toEqual({ mode: 'insecure-header', host: '127.0.0.1' });
  });

  it("refuses any other HOST, naming HTTP_AUTH and the host's variable", () => {
    const attempt = () => callerIdentificationFrom({ ...keyless, HTTP_AUTH: 'insecure-header' }, { variable: 'HOST', host: '0.0.0.0' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/HTTP_AUTH: "insecure-header" .* loopback address; HOST is "0.0.0.0"/);
    expect(() => callerIdentificationFrom({ ...keyless, HTTP_AUTH: 'insecure-header' }, { variable: 'CONSOLE_HOST', host: '10.0.0.5' })).toThrow(/CONSOLE_HOST is "10.0.0.5"/);
  });
});

describe('assertedIdentity (HTTP_AUTH=insecure-header)', () => {
  it('makes a customer of X-Relay-Subject, and an operator with X-Relay-Roles', () => {
    expect(assertedIdentity({ 'x-relay-subject': 'c-42' })).toEqual({ kind: 'identified', principal: { subject: 'c-42', roles: [] } });
    expect(assertedIdentity({ 'x-relay-subject': 'ops', 'x-relay-roles': 'admin, auditor' })).toEqual({ kind: 'identified', principal: { subject: 'ops', roles: ['admin', 'auditor'] } });
  });

  it('leaves a request without the header anonymous, saying which header to send', () => {
    expect(assertedIdentity({})).toEqual({ kind: 'anonymous', reason: expect.stringMatching(/X-Relay-Subject header is required/) });
    expect(assertedIdentity({ authorization: 'Bearer abc' })).toMatchObject({ kind: 'anonymous' });
  });

  it('leaves malformed headers anonymous', () => {
    expect(assertedIdentity({ 'x-relay-subject': '' })).toMatchObject({ kind: 'anonymous', reason: expect.stringMatching(/X-Relay-Subject header must be/) });
    expect(assertedIdentity({ 'x-relay-subject': 'two words' })).toMatchObject({ kind: 'anonymous' });
    expect(assertedIdentity({ 'x-relay-subject': 'a,b' })).toMatchObject({ kind: 'anonymous' });
    expect(assertedIdentity({ 'x-relay-subject': 'x'.repeat(257) })).toMatchObject({ kind: 'anonymous' });
    expect(assertedIdentity({ 'x-relay-subject': 'c-1', 'x-relay-roles': '' })).toMatchObject({ kind: 'anonymous', reason: expect.stringMatching(/X-Relay-Roles/) });
    expect(assertedIdentity({ 'x-relay-subject': 'c-1', 'x-relay-roles': 'admin,,ops' })).toMatchObject({ kind: 'anonymous' });
    expect(assertedIdentity({ 'x-relay-subject': 'c-1', 'x-relay-roles': 'ad min' })).toMatchObject({ kind: 'anonymous' });
  });
});
