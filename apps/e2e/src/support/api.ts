import { AppHandle, Stack } from './stack';
import { getJson, HttpResponse, postJson, putJson } from './http';
import { waitFor } from '@relay/testing';

// The apps' HTTP contract, as the suite sees it (written down here on purpose: a black-box test does
// not import the apps' own types, so a change to them cannot silently change what is checked).

export interface OrderLine {
  sku: string;
  quantity: number;
}

export interface OrderBody {
  id: string;
  customerId: string;
  status: string;
  items: OrderLine[];
  createdAt: string;
}

export interface ApiErrorBody {
  status: number;
  code: string;
  message: string;
  details?: { field: string; problem: string }[];
}

export interface StockBody {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
}

export interface ReservationBody {
  orderId: string;
  /** RESERVED or REJECTED once the order.placed event is processed. */
  status: string;
  lines: OrderLine[];
  reason: { code: string; sku: string; requested?: number; available?: number } | null;
  createdAt: string;
}

export interface DeliveryBody {
  orderId: string;
  status: string;
  deliveryDate: string;
  timeWindow: string;
  createdAt: string;
}

export interface ConsumerCounters {
  applied: number;
  duplicates: number;
  skipped: number;
  retried: number;
  deadLettered: number;
  /** Partitions sought to the position stored with the effects on assignment. */
  seeks: number;
}

export interface ConsumerStatusBody {
  group: string;
  counters: ConsumerCounters;
  partitions: { topic: string; partition: number; committedOffset: string; endOffset: string; lag: string }[];
  totalLag: string;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Deadline for one event to go from the outbox through Kafka to a consumer's effect. */
export const EFFECT_TIMEOUT_MS = 30_000;
/** Deadline for a group to work through its backlog (a fresh group reads the whole shared topic). */
export const CATCH_UP_TIMEOUT_MS = 90_000;

function expectStatus<T>(response: HttpResponse<T>, status: number, what: string): T {
  if (response.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${response.status}: ${response.text.slice(0, 500)}`);
  return response.body;
}

/** A SKU no other stack uses (SKUs live in the stack's own inventory schema, but stay readable in logs). */
export function skuFor(stack: Stack, name: string): string {
  return `${name}-${stack.suffix}`.replace(/_/g, '-').slice(0, 64);
}

/** POST /orders with any body; the caller checks the status (T is the body it expects). */
export function placeOrder<T = OrderBody>(stack: Stack, body: unknown): Promise<HttpResponse<T>> {
  return postJson<T>(`${stack.orders.url}/orders`, body);
}

/** POST /orders as the customer itself (its own token), as a shop's client would. */
export async function placeOrderOk(stack: Stack, customerId: string, items: OrderLine[]): Promise<OrderBody> {
  const authorization = `Bearer ${await stack.tokens.customer(customerId)}`;
  return expectStatus(await postJson<OrderBody>(`${stack.orders.url}/orders`, { customerId, items }, { headers: { authorization } }), 201, 'POST /orders');
}

export async function setStock(stack: Stack, sku: string, onHand: number): Promise<StockBody> {
  return expectStatus(await putJson<StockBody>(`${stack.inventory.url}/stock/${sku}`, { onHand }), 200, `PUT /stock/${sku}`);
}

export async function getStock(stack: Stack, sku: string): Promise<StockBody> {
  return expectStatus(await getJson<StockBody>(`${stack.inventory.url}/stock/${sku}`), 200, `GET /stock/${sku}`);
}

/** Waits for a GET to turn from 404 ("not processed yet") into anything else, which must be a 200. */
async function waitForResource<T>(url: string, description: string, timeoutMs: number): Promise<T> {
  const response = await waitFor(
    async () => {
      const answer = await getJson<T>(url);
      return answer.status === 404 ? undefined : answer;
    },
    { timeoutMs, description },
  );
  return expectStatus(response, 200, description);
}

export function waitForReservation(stack: Stack, orderId: string, timeoutMs = EFFECT_TIMEOUT_MS): Promise<ReservationBody> {
  return waitForResource(`${stack.inventory.url}/reservations/${orderId}`, `inventory to process order ${orderId} (logs: ${stack.logDir})`, timeoutMs);
}

export function waitForDelivery(stack: Stack, orderId: string, timeoutMs = EFFECT_TIMEOUT_MS): Promise<DeliveryBody> {
  return waitForResource(`${stack.delivery.url}/deliveries/${orderId}`, `delivery to process order ${orderId} (logs: ${stack.logDir})`, timeoutMs);
}

/** Waits until the order's delivery exists and has `status` (e.g. SCHEDULED). */
export async function waitForDeliveryStatus(stack: Stack, orderId: string, status: string, timeoutMs = EFFECT_TIMEOUT_MS): Promise<DeliveryBody> {
  const url = `${stack.delivery.url}/deliveries/${orderId}`;
  const description = `the delivery of order ${orderId} to be ${status} (logs: ${stack.logDir})`;
  const response = await waitFor(
    async () => {
      const answer = await getJson<DeliveryBody>(url);
      if (answer.status === 404) return undefined;
      return answer.status !== 200 || answer.body.status === status ? answer : undefined;
    },
    { timeoutMs, description },
  );
  return expectStatus(response, 200, description);
}

export async function consumerStatus(app: AppHandle): Promise<ConsumerStatusBody> {
  return expectStatus(await getJson<ConsumerStatusBody>(`${app.managementUrl}/consumer`), 200, `GET ${app.service} /consumer (management port)`);
}

/**
 * Waits until the app's group has committed everything on the topic (totalLag 0) and returns that
 * status. Counters are bumped before offsets are committed, so at lag 0 they account for every event
 * the group has read: the right moment to take a baseline or to check a delta.
 */
export function waitUntilCaughtUp(app: AppHandle, timeoutMs = CATCH_UP_TIMEOUT_MS): Promise<ConsumerStatusBody> {
  return waitFor(
    async () => {
      const status = await consumerStatus(app);
      return status.totalLag === '0' ? status : undefined;
    },
    { timeoutMs, intervalMs: 200, description: `${app.service} to catch up to totalLag 0 (logs: ${app.logFile})` },
  );
}

/** The topics a consumer reads, as it reports them in GET /consumer. */
export function topicsOf(status: ConsumerStatusBody): string[] {
  return [...new Set(status.partitions.map((partition) => partition.topic))].sort();
}

export function counterDelta(after: ConsumerCounters, before: ConsumerCounters): ConsumerCounters {
  return {
    applied: after.applied - before.applied,
    duplicates: after.duplicates - before.duplicates,
    skipped: after.skipped - before.skipped,
    retried: after.retried - before.retried,
    deadLettered: after.deadLettered - before.deadLettered,
    seeks: after.seeks - before.seeks,
  };
}
