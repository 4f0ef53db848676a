import { Controller, Get, Module, Put } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { ADMIN_ROLE } from '../auth/principal';
import { Caller, Public, RequireRole } from '../auth/auth.guard';
import { DEFAULT_TOKEN_AUDIENCE, DEFAULT_TOKEN_ISSUER } from '../auth/auth.settings';
import { Principal } from '../auth/principal';
import { createTokenVerifier } from '../auth/token.verifier';
import { bearerAuthenticator } from '../auth/request-authentication';
import { assertedIdentity } from '../auth/asserted-identity';
import { ObservabilityModule } from '../observability/observability.module';
import { configureHttpApp } from './configure-http-app';
import { createHttpAdapter } from './http-adapter';
import { listenOnManagementPort } from './management-port';
import { ASYNCAPI_PATH, setupAsyncApi } from './async-api';

// The whole HTTP security layer of a service, in process: a real Fastify app with the guard, the
// hooks and the management port, real keys and tokens (jose), no database or Kafka.

@Public()
@Controller('health')
class HealthController {
  @Get('live')
  live() {
    return { status: 'ok' };
  }
}

@Controller('things')
class ThingsController {
  @Get()
  list(@Caller() caller: Principal) {
    return { subject: caller.subject };
  }

  @Put()
  @RequireRole(ADMIN_ROLE)
  set() {
    return { ok: true };
  }
}

@Controller('consumer')
class ConsumerController {
  @Get()
  status() {
    return { totalLag: '0' };
  }
}

@Module({
  imports: [ObservabilityModule.forRoot({ service: 'test', level: 'error', format: 'json', requests: 'errors' })],
  controllers: [HealthController, ThingsController, ConsumerController],
})
class TestModule {}

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dir = mkdtempSync(path.join(tmpdir(), 'relay-http-security-'));
const publicKeyFile = path.join(dir, 'public.pem');
writeFileSync(publicKeyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
const LIMIT = 4;

function token(subject: string, roles: string[] = []): Promise<string> {
  return new SignJWT({ roles })
    .setProtectedHeader({ alg: 'RS256' })
    .setSubject(subject)
    .setIssuer(DEFAULT_TOKEN_ISSUER)
    .setAudience(DEFAULT_TOKEN_AUDIENCE)
    .setExpirationTime('5m')
    .sign(keys.privateKey);
}

describe('HTTP security layer (guard, ports, rate limit)', () => {
  let app: NestFastifyApplication;
  let publicUrl: string;
  let managementUrl: string;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(TestModule, createHttpAdapter(), { logger: false });
    const verifier = await createTokenVerifier({ keys: { kind: 'public-key-file', path: publicKeyFile }, issuer: DEFAULT_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, clockToleranceSeconds: 0 });
    await configureHttpApp(app, { service: 'test', shutdownTimeoutMs: 1_000, authenticator: bearerAuthenticator(verifier), rateLimitPerMinute: LIMIT });
    setupAsyncApi(app, { asyncapi: '3.0.0' });
    await app.listen(0, '127.0.0.1');
    publicUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const management = await listenOnManagementPort(app.getHttpAdapter().getInstance(), { port: 0, host: '127.0.0.1' });
    managementUrl = `http://127.0.0.1:${(management.address() as AddressInfo).port}`;
  });

  afterAll(() => app?.close());

  const get = async (url: string, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
  };

  it('needs a token on the public port (401, WWW-Authenticate), but not for health', async () => {
    const none = await get(`${publicUrl}/things`);
    expect(none).toMatchObject({ status: 401, body: { status: 401, code: 'AUTH.TOKEN_MISSING' } });
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="relay"');
    expect((await get(`${publicUrl}/health/live`)).status).toBe(200);
  });

  it("passes a valid token's subject to the handler, and refuses a missing role with 403", async () => {
    expect(await get(`${publicUrl}/things`, { authorization: `Bearer ${await token('c-1')}` })).toMatchObject({ status: 200, body: { subject: 'c-1' } });
    const put = await fetch(`${publicUrl}/things`, { method: 'PUT', headers: { authorization: `Bearer ${await token('c-1')}` } });
    expect(put.status).toBe(403);
    const admin = await fetch(`${publicUrl}/things`, { method: 'PUT', headers: { authorization: `Bearer ${await token('ops', [ADMIN_ROLE])}` } });
    expect(admin.status).toBe(200);
  });

  it('serves management routes on the management port only, without a token, and no API there', async () => {
    expect(await get(`${publicUrl}/consumer`, { authorization: `Bearer ${await token('ops', [ADMIN_ROLE])}` })).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect((await get(`${publicUrl}/metrics`)).status).toBe(404);
    expect(await get(`${managementUrl}/consumer`)).toMatchObject({ status: 200, body: { totalLag: '0' } });
    expect((await fetch(`${managementUrl}/metrics`)).status).toBe(200);
    expect((await get(`${managementUrl}/things`)).status).toBe(404);
    expect((await get(`${managementUrl}/health/live`)).status).toBe(200);
    expect(await get(`${managementUrl}${ASYNCAPI_PATH}`)).toMatchObject({ status: 200, body: { asyncapi: '3.0.0' } });
    expect((await get(`${publicUrl}${ASYNCAPI_PATH}`, { authorization: `Bearer ${await token('ops', [ADMIN_ROLE])}` })).status).toBe(404);
  });

  it('limits each token subject apart, answering 429 with Retry-After in the shared shape', async () => {
    const noisy = { authorization: `Bearer ${await token('c-noisy')}` };
    for (let i = 0; i < LIMIT; i++) expect((await get(`${publicUrl}/things`, noisy)).status).toBe(200);
    const over = await get(`${publicUrl}/things`, noisy);
    expect(over).toMatchObject({ status: 429, body: { status: 429, code: 'RATE_LIMITED' } });
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await get(`${publicUrl}/things`, { authorization: `Bearer ${await token('c-quiet')}` })).status).toBe(200);
    expect((await get(`${managementUrl}/consumer`)).status).toBe(200);
  });
});

// HTTP_AUTH=insecure-header: the same layer with the identity read from headers instead of a
// verified token; everything after that step must behave as above.
describe('HTTP security layer with asserted identities (HTTP_AUTH=insecure-header)', () => {
  let app: NestFastifyApplication;
  let publicUrl: string;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(TestModule, createHttpAdapter(), { logger: false });
    await configureHttpApp(app, { service: 'test-insecure', shutdownTimeoutMs: 1_000, authenticator: assertedIdentity, rateLimitPerMinute: LIMIT });
    await app.listen(0, '127.0.0.1');
    publicUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(() => app?.close());

  const call = async (method: 'GET' | 'PUT', headers: Record<string, string> = {}) => {
    const response = await fetch(`${publicUrl}/things`, { method, headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('answers a request without the identity header 401, as a missing token', async () => {
    expect(await call('GET')).toMatchObject({ status: 401, body: { code: 'AUTH.TOKEN_MISSING', message: expect.stringMatching(/X-Relay-Subject/) } });
    expect(await call('GET', { 'x-relay-subject': 'two words' })).toMatchObject({ status: 401, body: { code: 'AUTH.TOKEN_MISSING' } });
    // A token means nothing in this mode: only the headers identify.
    expect((await call('GET', { authorization: `Bearer ${await token('c-1')}` })).status).toBe(401);
  });

  it("passes the asserted subject to the handler, and checks roles as for a token's", async () => {
    expect(await call('GET', { 'x-relay-subject': 'c-7' })).toMatchObject({ status: 200, body: { subject: 'c-7' } });
    expect((await call('PUT', { 'x-relay-subject': 'c-7' })).status).toBe(403);
    expect((await call('PUT', { 'x-relay-subject': 'ops', 'x-relay-roles': ADMIN_ROLE })).status).toBe(200);
  });

  it('limits each asserted subject apart', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await call('GET', { 'x-relay-subject': 'c-noisy' })).status).toBe(200);
    expect(await call('GET', { 'x-relay-subject': 'c-noisy' })).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
    expect((await call('GET', { 'x-relay-subject': 'c-quiet' })).status).toBe(200);
  });
});
