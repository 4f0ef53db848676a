import { randomUUID } from 'node:crypto';
import {
  ApiErrorBody,
  getStock,
  OrderBody,
  placeOrder,
  placeOrderOk,
  setStock,
  skuFor,
  UUID,
  waitForDeliveryStatus,
  waitForReservation,
} from './support/api';
import { getJson, http, HttpResponse } from './support/http';
import { startStack, Stack } from './support/stack';

describe('orders API: placing and reading orders over HTTP', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ name: 'ordersapi' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('places an order: 201, readable by id, reserved by inventory and scheduled by delivery', async () => {
    const sku = skuFor(stack, 'HAPPY');
    expect(await setStock(stack, sku, 10)).toEqual(expect.objectContaining({ sku, onHand: 10, reserved: 0, available: 10 }));
    const before = await getStock(stack, sku);

    const response = await placeOrder(stack, { customerId: 'c-happy', items: [{ sku, quantity: 2 }] });

    expect(response.status).toBe(201);
    const order = response.body;
    expect(order).toEqual(
      expect.objectContaining({ id: expect.stringMatching(UUID), customerId: 'c-happy', status: 'PENDING', items: [{ sku, quantity: 2 }], createdAt: expect.any(String) }),
    );
    expect(new Date(order.createdAt).toISOString()).toBe(order.createdAt);
    expect(Math.abs(Date.now() - Date.parse(order.createdAt))).toBeLessThan(60_000);

    const read = await getJson<OrderBody>(`${stack.orders.url}/orders/${order.id}`);
    expect(read.status).toBe(200);
    // The status may already have moved on (the order's events are being processed meanwhile).
    const { id, customerId, items, createdAt } = order;
    expect(read.body).toEqual(expect.objectContaining({ id, customerId, items, createdAt, status: expect.any(String) }));

    const reservation = await waitForReservation(stack, order.id);
    expect(reservation).toEqual(expect.objectContaining({ orderId: order.id, status: 'RESERVED', lines: [{ sku, quantity: 2 }], reason: null, createdAt: expect.any(String) }));

    const delivery = await waitForDeliveryStatus(stack, order.id, 'SCHEDULED');
    expect(delivery).toEqual(
      expect.objectContaining({
        orderId: order.id,
        status: 'SCHEDULED',
        deliveryDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        timeWindow: expect.stringMatching(/^\d{2}:\d{2}-\d{2}:\d{2}$/),
        createdAt: expect.any(String),
      }),
    );
    expect(delivery.deliveryDate > order.createdAt.slice(0, 10)).toBe(true);

    const after = await getStock(stack, sku);
    expect(after).toEqual(expect.objectContaining({ sku, onHand: before.onHand, reserved: before.reserved + 2, available: before.available - 2 }));
  });

  describe('rejects bad input with a 4xx naming the problem, never a 500', () => {
    const line = { sku: 'SKU-1', quantity: 2 };
    const valid = { customerId: 'c-1', items: [line] };
    const withoutKey = <T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> => {
      const copy = { ...value };
      delete copy[key];
      return copy;
    };

    // Each case: the body sent, the field path the error must name, and what the problem must say.
    const validationCases: [string, unknown, string, RegExp][] = [
      ['missing items', withoutKey(valid, 'items'), 'items', /items/],
      ['empty items', { ...valid, items: [] }, 'items', /at least 1/],
      ['quantity 0', { ...valid, items: [{ ...line, quantity: 0 }] }, 'items.0.quantity', /at least 1/],
      ['negative quantity', { ...valid, items: [{ ...line, quantity: -3 }] }, 'items.0.quantity', /at least 1/],
      ['non-integer quantity (1.5)', { ...valid, items: [{ ...line, quantity: 1.5 }] }, 'items.0.quantity', /whole number/],
      ['quantity as a string ("2")', { ...valid, items: [{ ...line, quantity: '2' }] }, 'items.0.quantity', /whole number/],
      ['missing customerId', withoutKey(valid, 'customerId'), 'customerId', /customerId/],
      ['unknown top-level field', { ...valid, coupon: 'FREE' }, 'coupon', /property coupon should not exist/],
      ['unknown field inside an item', { ...valid, items: [{ ...line, colour: 'red' }] }, 'items.0.colour', /property colour should not exist/],
      ['the second line wrong, not the first', { ...valid, items: [line, { sku: 'SKU-2', quantity: 0 }] }, 'items.1.quantity', /at least 1/],
      // PostgreSQL refuses NUL in text: before this check, such an order was a 500.
      ['a NUL in customerId', { ...valid, customerId: 'c-\u00001' }, 'customerId', /control characters/],
      ['an escape character in an address', { ...valid, shippingAddress: { line1: '1 rue\u001b[2J', city: 'Paris', postalCode: '75002', country: 'FR' } }, 'shippingAddress.line1', /control characters/],
    ];

    const expectError = (response: HttpResponse<ApiErrorBody>, status: number, code: string): ApiErrorBody => {
      expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
      expect(response.body).toEqual(expect.objectContaining({ status, code, message: expect.any(String) }));
      return response.body;
    };

    it.each(validationCases)('%s → 400 VALIDATION_FAILED naming the field', async (_name, body, field, problem) => {
      const response = await placeOrder<ApiErrorBody>(stack, body);

      const error = expectError(response, 400, 'VALIDATION_FAILED');
      expect(error.details).toEqual(expect.arrayContaining([{ field, problem: expect.stringMatching(problem) }]));
      expect(error.message).toContain(`${field}:`);
      expect(error.message).toMatch(problem);
    });

    it('a lone surrogate (valid JSON, no UTF-8 form) → 400 VALIDATION_FAILED naming the field', async () => {
      const response = await http<ApiErrorBody>('POST', `${stack.orders.url}/orders`, { rawBody: '{"customerId":"c-\\ud800","items":[{"sku":"SKU-1","quantity":1}]}' });

      const error = expectError(response, 400, 'VALIDATION_FAILED');
      expect(error.details).toEqual([{ field: 'customerId', problem: expect.stringMatching(/unpaired surrogate/) }]);
    });

    it('a NUL in a query parameter → 400 VALIDATION_FAILED naming the parameter', async () => {
      const response = await getJson<ApiErrorBody>(`${stack.orders.url}/orders?customerId=c-%001`);

      const error = expectError(response, 400, 'VALIDATION_FAILED');
      expect(error.details).toEqual([{ field: 'customerId', problem: expect.stringMatching(/control characters/) }]);
    });

    it('a lone surrogate in a cancel reason → 400 VALIDATION_FAILED naming the field, before the order is looked up', async () => {
      const response = await http<ApiErrorBody>('POST', `${stack.orders.url}/orders/${randomUUID()}/cancel`, { rawBody: '{"reason":"changed my mind \\udc00"}' });

      const error = expectError(response, 400, 'VALIDATION_FAILED');
      expect(error.details).toEqual([{ field: 'reason', problem: expect.stringMatching(/unpaired surrogate/) }]);
    });

    it('the same SKU on two lines → 400 ORDERS.DUPLICATE_SKU naming the second (the events allow one line per SKU)', async () => {
      const response = await placeOrder<ApiErrorBody>(stack, { ...valid, items: [{ sku: 'SKU-1', quantity: 10 }, { sku: 'SKU-1', quantity: 10 }] });

      const error = expectError(response, 400, 'ORDERS.DUPLICATE_SKU');
      expect(error.details).toEqual([{ field: 'items.1.sku', problem: expect.stringMatching(/more than once/) }]);
    });

    it('malformed JSON → 400 MALFORMED_JSON', async () => {
      const response = await http<ApiErrorBody>('POST', `${stack.orders.url}/orders`, { rawBody: '{"customerId": "c-1", "items": [' });

      const error = expectError(response, 400, 'MALFORMED_JSON');
      expect(error.message).toMatch(/JSON/);
    });

    it('an empty JSON body → 400 MALFORMED_JSON', async () => {
      const response = await http<ApiErrorBody>('POST', `${stack.orders.url}/orders`, { rawBody: '' });

      expectError(response, 400, 'MALFORMED_JSON');
    });

    it('a 1 MB body → 413 PAYLOAD_TOO_LARGE', async () => {
      const body = JSON.stringify({ ...valid, customerId: 'x'.repeat(1024 * 1024) });

      const response = await http<ApiErrorBody>('POST', `${stack.orders.url}/orders`, { rawBody: body });

      const error = expectError(response, 413, 'PAYLOAD_TOO_LARGE');
      expect(error.message).toMatch(/too large|larger than/);
    });

    it('a non-UUID order id → 400 VALIDATION_FAILED naming the id', async () => {
      const response = await getJson<ApiErrorBody>(`${stack.orders.url}/orders/not-a-uuid`);

      const error = expectError(response, 400, 'VALIDATION_FAILED');
      expect(error.details).toEqual([{ field: 'id', problem: expect.stringMatching(/UUID/) }]);
      expect(error.message).toMatch(/id: must be a UUID/);
    });
  });

  it('an unknown order → 404 ORDERS.NOT_FOUND', async () => {
    const id = randomUUID();

    const response = await getJson<ApiErrorBody>(`${stack.orders.url}/orders/${id}`);

    expect(response.status).toBe(404);
    expect(response.body).toEqual({ status: 404, code: 'ORDERS.NOT_FOUND', message: expect.stringContaining(id) });
  });

  it('still serves valid requests after all that bad input', async () => {
    const order = await placeOrderOk(stack, 'c-after-bad-input', [{ sku: skuFor(stack, 'HAPPY'), quantity: 1 }]);
    expect((await getJson<OrderBody>(`${stack.orders.url}/orders/${order.id}`)).status).toBe(200);
  });
});
