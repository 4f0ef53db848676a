import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { appEntryPoint, mintToken, REPO_ROOT } from '@relay/local-stack';
import { ApiErrorBody, OrderBody, setStock, skuFor } from './support/api';
import { getJson, http, postJson, putJson } from './support/http';
import { startStack, Stack } from './support/stack';

/**
 * Issue 13, HTTP: every route but health needs a valid bearer token; customers see and act on
 * their own orders only; operators' routes need the admin role; metrics, docs and consumer status
 * are on the management port only; each client is rate-limited. docs/security.md lists these tests.
 */
describe('security: authentication, authorization, management port, rate limit', () => {
  let stack: Stack;
  /** Delivery runs with a tiny limit, for the rate-limit test; no other test here calls its API. */
  const DELIVERY_LIMIT_PER_MINUTE = 5;

  beforeAll(async () => {
    stack = await startStack({ name: 'security', env: { delivery: { RATE_LIMIT_PER_MINUTE: String(DELIVERY_LIMIT_PER_MINUTE) } } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const ordersUrl = () => `${stack.orders.url}/orders`;

  describe('authentication (401 with WWW-Authenticate: Bearer)', () => {
    it('refuses a request without a token, and says how to authenticate', async () => {
      const response = await getJson<ApiErrorBody>(ordersUrl(), { anonymous: true });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ status: 401, code: 'AUTH.TOKEN_MISSING', message: expect.stringContaining('bearer token is required') });
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="relay"');
    });

    it('refuses a malformed Authorization header and a token that is no JWT', async () => {
      const basic = await getJson<ApiErrorBody>(ordersUrl(), { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(basic.status).toBe(401);
      expect(basic.body.code).toBe('AUTH.TOKEN_MISSING');
      const garbage = await getJson<ApiErrorBody>(ordersUrl(), { headers: bearer('not.a.jwt') });
      expect(garbage.status).toBe(401);
      expect(garbage.body).toEqual({ status: 401, code: 'AUTH.TOKEN_INVALID', message: 'the token is malformed' });
      expect(garbage.headers.get('www-authenticate')).toMatch(/^Bearer realm="relay", error="invalid_token"/);
    });

    it.each([
      ['signed by another key', async () => mintToken(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, { subject: 'c-forger' }), 'AUTH.TOKEN_INVALID', /signature/],
      ['expired', () => stack.tokens.mint({ subject: 'c-late', ttlSeconds: -60 }), 'AUTH.TOKEN_EXPIRED', /expired/],
      ['from another issuer', () => stack.tokens.mint({ subject: 'c-1', issuer: 'https://evil.example' }), 'AUTH.TOKEN_INVALID', /"iss"/],
      ['for another audience', () => stack.tokens.mint({ subject: 'c-1', audience: 'another-api' }), 'AUTH.TOKEN_INVALID', /"aud"/],
    ] as const)('refuses a token %s', async (_what, token, code, reason) => {
      const response = await getJson<ApiErrorBody>(ordersUrl(), { headers: bearer(await token()) });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ status: 401, code, message: expect.stringMatching(reason) });
      expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    });

    it('answers health without a token, on every service', async () => {
      for (const app of stack.apps) {
        expect((await getJson(`${app.url}/health/live`, { anonymous: true })).status).toBe(200);
        expect((await getJson(`${app.url}/health/ready`, { anonymous: true })).status).toBe(200);
      }
    });
  });

  describe('authorization', () => {
    it('places a customer\'s order in its own name: customerId comes from the token', async () => {
      const sku = skuFor(stack, 'OWN');
      await setStock(stack, sku, 100);
      const customer = `c-own-${stack.suffix}`;
      const token = await stack.tokens.customer(customer);

      const placed = await postJson<OrderBody>(ordersUrl(), { items: [{ sku, quantity: 1 }] }, { headers: bearer(token) });
      expect(placed.status).toBe(201);
      expect(placed.body.customerId).toBe(customer);

      const sameId = await postJson<OrderBody>(ordersUrl(), { customerId: customer, items: [{ sku, quantity: 1 }] }, { headers: bearer(token) });
      expect(sameId.status).toBe(201);
      expect(sameId.body.customerId).toBe(customer);

      const otherId = await postJson<ApiErrorBody>(ordersUrl(), { customerId: 'c-someone-else', items: [{ sku, quantity: 1 }] }, { headers: bearer(token) });
      expect(otherId.status).toBe(400);
      expect(otherId.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'customerId', problem: expect.stringContaining("caller's own") }] });
    });

    it("answers 404 for another customer's order, on read and on cancel, exactly as for an order that does not exist", async () => {
      const sku = skuFor(stack, 'PROBE');
      await setStock(stack, sku, 100);
      const owner = `c-owner-${stack.suffix}`;
      const order = (await postJson<OrderBody>(ordersUrl(), { items: [{ sku, quantity: 1 }] }, { headers: bearer(await stack.tokens.customer(owner)) })).body;
      const intruder = bearer(await stack.tokens.customer(`c-intruder-${stack.suffix}`));

      const read = await getJson<ApiErrorBody>(`${ordersUrl()}/${order.id}`, { headers: intruder });
      const missing = await getJson<ApiErrorBody>(`${ordersUrl()}/${randomUUID()}`, { headers: intruder });
      expect(read.status).toBe(404);
      expect(read.body.code).toBe('ORDERS.NOT_FOUND');
      expect(missing.status).toBe(404);
      expect(Object.keys(read.body).sort()).toEqual(Object.keys(missing.body).sort());

      const cancel = await postJson<ApiErrorBody>(`${ordersUrl()}/${order.id}/cancel`, {}, { headers: intruder });
      expect(cancel.status).toBe(404);
      expect(cancel.body.code).toBe('ORDERS.NOT_FOUND');
      // Untouched: its owner still sees it, not cancelled.
      const own = await getJson<OrderBody>(`${ordersUrl()}/${order.id}`, { headers: bearer(await stack.tokens.customer(owner)) });
      expect(own.status).toBe(200);
      expect(own.body.status).not.toBe('CANCELLED');
      // And the owner may cancel it.
      expect((await postJson(`${ordersUrl()}/${order.id}/cancel`, {}, { headers: bearer(await stack.tokens.customer(owner)) })).status).toBe(200);
    });

    it("lists a customer's own orders only, whatever customerId it asks for; an admin lists anyone's", async () => {
      const sku = skuFor(stack, 'LIST');
      await setStock(stack, sku, 100);
      const alice = `c-alice-${stack.suffix}`;
      const bob = `c-bob-${stack.suffix}`;
      const aliceToken = await stack.tokens.customer(alice);
      const aliceOrder = (await postJson<OrderBody>(ordersUrl(), { items: [{ sku, quantity: 1 }] }, { headers: bearer(aliceToken) })).body;
      const bobOrder = (await postJson<OrderBody>(ordersUrl(), { items: [{ sku, quantity: 1 }] }, { headers: bearer(await stack.tokens.customer(bob)) })).body;

      const asked = await getJson<{ orders: OrderBody[] }>(`${ordersUrl()}?customerId=${bob}`, { headers: bearer(aliceToken) });
      expect(asked.status).toBe(200);
      expect(asked.body.orders.map((order) => order.id)).toEqual([aliceOrder.id]);
      const everything = await getJson<{ orders: OrderBody[] }>(`${ordersUrl()}?limit=100`, { headers: bearer(aliceToken) });
      expect(new Set(everything.body.orders.map((order) => order.customerId))).toEqual(new Set([alice]));

      const admin = await getJson<{ orders: OrderBody[] }>(`${ordersUrl()}?customerId=${bob}`, { headers: bearer(stack.tokens.admin) });
      expect(admin.body.orders.map((order) => order.id)).toEqual([bobOrder.id]);
    });

    it('refuses a customer what needs the admin role (403): setting stock, reading reservations and deliveries; reading stock is allowed', async () => {
      const sku = skuFor(stack, 'ADMIN');
      await setStock(stack, sku, 5);
      const customer = bearer(await stack.tokens.customer(`c-shopper-${stack.suffix}`));

      const put = await putJson<ApiErrorBody>(`${stack.inventory.url}/stock/${sku}`, { onHand: 1_000_000 }, { headers: customer });
      expect(put.status).toBe(403);
      expect(put.body).toEqual({ status: 403, code: 'AUTH.FORBIDDEN', message: 'this needs the "admin" role' });
      const reservation = await getJson<ApiErrorBody>(`${stack.inventory.url}/reservations/${randomUUID()}`, { headers: customer });
      expect(reservation.status).toBe(403);

      const stock = await getJson<{ onHand: number }>(`${stack.inventory.url}/stock/${sku}`, { headers: customer });
      expect(stock.status).toBe(200);
      expect(stock.body.onHand).toBe(5);
    });
  });

  describe('management port', () => {
    const managementPaths = ['/metrics', '/docs', '/docs-json', '/docs/asyncapi.json', '/consumer'];

    it('serves metrics, docs and consumer status on the management port only: 404 on the public port, even to an admin', async () => {
      for (const app of stack.apps) {
        for (const route of managementPaths) {
          const onPublic = await getJson<ApiErrorBody>(`${app.url}${route}`, { headers: bearer(stack.tokens.admin) });
          expect({ app: app.service, route, status: onPublic.status, code: onPublic.body?.code }).toEqual({ app: app.service, route, status: 404, code: 'NOT_FOUND' });
          const onManagement = await http('GET', `${app.managementUrl}${route}`, { anonymous: true });
          expect({ app: app.service, route, status: onManagement.status }).toEqual({ app: app.service, route, status: 200 });
        }
      }
      const metrics = await http('GET', `${stack.orders.managementUrl}/metrics`, { anonymous: true });
      expect(metrics.text).toContain('http_request_duration_seconds');
    });

    it('does not serve the API on the management port', async () => {
      expect((await getJson(`${stack.orders.managementUrl}/orders`, { headers: bearer(stack.tokens.admin) })).status).toBe(404);
      expect((await getJson(`${stack.orders.managementUrl}/health/ready`, { anonymous: true })).status).toBe(200);
    });
  });

  describe('rate limit', () => {
    it('answers 429 with Retry-After in the shared error shape once a client is over its limit, and counts each client apart', async () => {
      const url = `${stack.delivery.url}/deliveries/${randomUUID()}`;
      const noisy = bearer(await stack.tokens.customer(`c-noisy-${stack.suffix}`));
      const statuses: number[] = [];
      for (let i = 0; i < DELIVERY_LIMIT_PER_MINUTE; i++) statuses.push((await getJson(url, { headers: noisy })).status);
      // A customer may not read deliveries: 403, but each answer counts.
      expect(statuses).toEqual(Array(DELIVERY_LIMIT_PER_MINUTE).fill(403));

      const over = await getJson<ApiErrorBody>(url, { headers: noisy });
      expect(over.status).toBe(429);
      expect(over.body).toEqual({ status: 429, code: 'RATE_LIMITED', message: expect.stringContaining(`at most ${DELIVERY_LIMIT_PER_MINUTE} a minute`) });
      const retryAfter = Number(over.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);

      // Another client is not held back by the noisy one; health is never limited.
      expect((await getJson(url, { headers: bearer(stack.tokens.admin) })).status).toBe(404);
      expect((await getJson(`${stack.delivery.url}/health/live`, { anonymous: true })).status).toBe(200);
    });
  });

  describe('HTTP_AUTH=insecure-header (for measuring only)', () => {
    it('refuses to start with HTTP_AUTH=insecure-header on a non-loopback HOST, naming both', async () => {
      // The orders service exactly as the stack runs it, but unverified and on its default HOST (0.0.0.0).
      const env = { ...process.env, ...stack.orders.env, HTTP_AUTH: 'insecure-header', HOST: '' };
      const exit = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, [appEntryPoint('orders')], { cwd: REPO_ROOT, env, timeout: 60_000 }, (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }));
      });
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(/HTTP_AUTH: "insecure-header" .* loopback address; HOST is "0\.0\.0\.0"/);
    });
  });
});
