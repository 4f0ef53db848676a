import { Client } from 'pg';
import type { Locator } from 'playwright-core';
import { Topics } from '@relay/contracts';
import type { AppProcess } from '@relay/local-stack';
import { EFFECT_TIMEOUT_MS, getStock, placeOrderOk, setStock, skuFor, waitForDeliveryStatus, waitForReservation, waitUntilCaughtUp } from '../support/api';
import { BrowserSession, openBrowser, startConsoleFor, STALLED_AFTER_MS } from '../support/console';
import { getJson } from '../support/http';
import { startStack, Stack } from '../support/stack';
import { waitFor } from '@relay/testing';

/** What the page shows may lag the system by a sample or two; each wait has this deadline on top of the effect's. */
const PAGE_TIMEOUT_MS = 30_000;

/**
 * The operations console in a real browser (headless Debian Chromium driven by playwright-core),
 * against its own stack: the page loads and updates live, an order's story is told, a stopped
 * group's lag grows and drains, and a message parked for a passing cause is replayed from the page
 * and applied once. Each view is saved as a picture under tmp/console-screenshots/.
 */
describe('operations console', () => {
  let stack: Stack;
  let consoleApp: AppProcess;
  let browser: BrowserSession;

  beforeAll(async () => {
    // Inventory parks a message after two failed tries (default ten, ~40 s of back-off).
    stack = await startStack({ name: 'console', env: { inventory: { CONSUMER_MAX_ATTEMPTS: '2' } } });
    consoleApp = await startConsoleFor(stack);
    browser = await openBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await consoleApp?.stop();
    await stack?.stop();
  });

  const page = () => browser.page;
  const groupCard = (service: 'orders' | 'inventory' | 'delivery') => page().locator(`#lag [data-group="${stack.groups[service]}"]`);

  /** The total lag the page shows for a group now. */
  async function shownLag(service: 'orders' | 'inventory' | 'delivery'): Promise<number | undefined> {
    const value = await groupCard(service).locator('[data-total-lag]').getAttribute('data-total-lag', { timeout: 1_000 }).catch(() => null);
    return value === null ? undefined : Number(value);
  }

  /** The parked count a dead-letter topic's button shows; 0 while the topic does not exist yet. */
  async function parkedOn(topicButton: Locator): Promise<number> {
    if ((await topicButton.count()) === 0) return 0;
    return Number(await topicButton.locator('[data-parked]').getAttribute('data-parked', { timeout: 1_000 }));
  }

  it('asks for an admin token: a customer token is refused, the API answers 401 without one', async () => {
    await page().goto(`${consoleApp.url}/#flow`);
    await waitFor(async () => ((await page().locator('#live-status').textContent()) ?? '').includes('an admin token is needed') || undefined, {
      timeoutMs: PAGE_TIMEOUT_MS,
      description: 'the page to ask for an admin token',
    });
    expect((await getJson(`${consoleApp.url}/api/live/stream`, { anonymous: true })).status).toBe(401);
    await page().locator('#token').fill(await stack.tokens.customer('c-console'));
    await page().locator('#token').press('Enter');
    await waitFor(async () => ((await page().locator('#live-status').textContent()) ?? '').includes('lacks the admin role') || undefined, {
      timeoutMs: PAGE_TIMEOUT_MS,
      description: "the page to say a customer's token lacks the admin role",
    });
    // The operator's token: kept in this tab (sessionStorage) for the tests that follow.
    await page().locator('#token').fill(stack.tokens.admin);
    await page().locator('#token').press('Enter');
    await page().locator('#flow [data-service="orders"]').waitFor({ timeout: PAGE_TIMEOUT_MS });
  });

  it('loads and shows every service, consumer group and partition owner, updating live', async () => {
    await page().goto(`${consoleApp.url}/#flow`);
    for (const service of ['orders', 'inventory', 'delivery']) {
      await page().locator(`#flow [data-service="${service}"]`).waitFor({ timeout: PAGE_TIMEOUT_MS });
    }
    const firstSample = await page().locator('#live-status').getAttribute('data-at');
    await waitFor(async () => (await page().locator('#live-status').getAttribute('data-at')) !== firstSample, {
      timeoutMs: PAGE_TIMEOUT_MS,
      description: 'the page to receive a second live sample without a reload',
    });
    await browser.screenshot('flow');

    await page().goto(`${consoleApp.url}/#lag`);
    for (const service of ['orders', 'inventory', 'delivery'] as const) await groupCard(service).waitFor({ timeout: PAGE_TIMEOUT_MS });
    // The orders group is listed too (it consumes inventory's and delivery's topics), with its owner.
    await page().locator(`#lag [data-group="${stack.groups.orders}"] [data-partition="${Topics.inventoryEvents}:0"]`).waitFor({ timeout: PAGE_TIMEOUT_MS });
    expect(await page().locator(`#lag [data-group="${stack.groups.inventory}"] [data-partition="${Topics.orderEvents}:0"] td`).last().textContent()).toContain(`inventory-${stack.suffix}`);
    expect(await page().locator('#lag .sparkline canvas').count()).toBeGreaterThanOrEqual(3);
    await browser.screenshot('lag');
  });

  it("placing an order makes its story appear: its events on the three topics and its status history", async () => {
    const sku = skuFor(stack, 'STORY');
    await setStock(stack, sku, 10);
    const order = await placeOrderOk(stack, 'c-console-story', [{ sku, quantity: 2 }]);
    await waitForDeliveryStatus(stack, order.id, 'SCHEDULED');

    await page().goto(`${consoleApp.url}/#order`);
    await page().locator('#order-id').fill(order.id);
    await page().locator('#order-form button').click();
    const story = page().locator(`[data-story="${order.id}"]`);
    await story.waitFor({ timeout: PAGE_TIMEOUT_MS });
    for (const [type, topic] of [
      ['order.placed', Topics.orderEvents],
      ['stock.reserved', Topics.inventoryEvents],
      ['delivery.scheduled', Topics.deliveryEvents],
    ]) {
      await expect(story.locator(`[data-story-event="${type}"][data-topic="${topic}"]`).count()).resolves.toBe(1);
    }
    expect(await story.locator('[data-status]').evaluateAll((items) => items.map((item) => item.getAttribute('data-status')))).toEqual(['PENDING', 'CONFIRMED', 'SCHEDULED']);
    await browser.screenshot('order-story');
  });

  it('stopping delivery makes its lag grow on the page, highlighted as not moving; a restart brings it back to 0', async () => {
    const sku = skuFor(stack, 'LAG');
    await setStock(stack, sku, 100);
    await waitUntilCaughtUp(stack.delivery);
    await page().goto(`${consoleApp.url}/#lag`);
    await waitFor(async () => (await shownLag('delivery')) === 0, { timeoutMs: PAGE_TIMEOUT_MS, description: "the page to show delivery's lag at 0" });

    await stack.delivery.stop();
    for (let i = 0; i < 5; i++) await placeOrderOk(stack, `c-console-lag-${i}`, [{ sku, quantity: 1 }]);
    // Five orders: five order.placed and five stock.reserved events delivery has not read.
    await waitFor(async () => ((await shownLag('delivery')) ?? 0) >= 10, { timeoutMs: PAGE_TIMEOUT_MS, description: "the page to show delivery's lag growing to 10" });
    await waitFor(async () => (await groupCard('delivery').getAttribute('data-stalled')) === 'true', {
      timeoutMs: STALLED_AFTER_MS + PAGE_TIMEOUT_MS,
      description: 'the page to highlight the delivery group as not moving',
    });
    expect(await groupCard('delivery').evaluate((card) => card.classList.contains('stalled'))).toBe(true);
    await browser.screenshot('lag-stalled');

    await stack.delivery.start();
    await waitFor(async () => (await shownLag('delivery')) === 0, { timeoutMs: EFFECT_TIMEOUT_MS + PAGE_TIMEOUT_MS, description: "the page to show delivery's lag back at 0 after the restart" });
    expect(await groupCard('delivery').getAttribute('data-stalled')).toBe('false');
  });

  it('a message parked for a passing cause shows under dead letters; replayed from the page, it is applied once', async () => {
    const sku = skuFor(stack, 'DLQ');
    await setStock(stack, sku, 10);
    await waitUntilCaughtUp(stack.inventory);
    const stockBefore = await getStock(stack, sku);
    const schema = `inventory_${stack.suffix}`;
    const db = new Client({ connectionString: stack.orders.env.DATABASE_URL });
    await db.connect();
    let order;
    try {
      // The passing cause: the reservations table refuses every write for a while (a trigger), so
      // inventory's tries fail, and it parks the event after its two attempts.
      await db.query(`CREATE FUNCTION "${schema}".refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'reservations are read-only for a moment'; END $$`);
      await db.query(`CREATE TRIGGER refuse_writes BEFORE INSERT OR UPDATE ON "${schema}".reservations FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse_writes()`);
      await page().goto(`${consoleApp.url}/#dead-letters`);
      // The count before this order, read off a live sample (not the empty page before the first).
      await page().locator('#live-status[data-at]').waitFor({ timeout: PAGE_TIMEOUT_MS });
      const topicButton = page().locator(`[data-dlq="${Topics.orderEvents}.dlq.${stack.groups.inventory}"]`);
      const parkedBefore = await parkedOn(topicButton);
      order = await placeOrderOk(stack, 'c-console-dlq', [{ sku, quantity: 3 }]);

      await topicButton.waitFor({ timeout: EFFECT_TIMEOUT_MS + PAGE_TIMEOUT_MS });
      await waitFor(async () => (await parkedOn(topicButton)) > parkedBefore || undefined, {
        timeoutMs: EFFECT_TIMEOUT_MS + PAGE_TIMEOUT_MS,
        description: 'the page to count the parked message',
      });
      await topicButton.click();
      const row = page().locator(`#dlq-records tr[data-position]`).filter({ hasText: order.id });
      await row.waitFor({ timeout: PAGE_TIMEOUT_MS }).catch(async (error: Error) => {
        throw new Error(`${error.message}\nthe dead-letter list showed: ${await page().locator('#dlq-records').textContent()}`);
      });
      expect(await row.textContent()).toContain('reservations are read-only for a moment');
      await row.locator('[data-action="show"]').click();
      expect(await page().locator('#dlq-record').textContent()).toContain(order.id);
      await browser.screenshot('dead-letters');
      // Parked, not applied: no reservation, nothing reserved.
      expect((await getJson(`${stack.inventory.url}/reservations/${order.id}`)).status).toBe(404);

      await db.query(`DROP TRIGGER refuse_writes ON "${schema}".reservations`);
      await db.query(`DROP FUNCTION "${schema}".refuse_writes()`);
    } finally {
      await db.query(`DROP TRIGGER IF EXISTS refuse_writes ON "${schema}".reservations`).catch(() => undefined);
      await db.query(`DROP FUNCTION IF EXISTS "${schema}".refuse_writes()`).catch(() => undefined);
      await db.end();
    }

    const row = page().locator(`#dlq-records tr[data-position]`).filter({ hasText: order.id });
    const position = await row.getAttribute('data-position');
    await row.locator('[data-action="replay"]').click();
    await page().locator(`[data-replay="${position}"][data-replay-status="applied"]`).waitFor({ timeout: EFFECT_TIMEOUT_MS + PAGE_TIMEOUT_MS });
    const reservation = await waitForReservation(stack, order.id);
    expect(reservation.status).toBe('RESERVED');
    await waitForDeliveryStatus(stack, order.id, 'SCHEDULED');
    await waitUntilCaughtUp(stack.inventory);
    // Applied once: exactly this order's quantity was reserved.
    expect((await getStock(stack, sku)).reserved).toBe(stockBefore.reserved + 3);
    await browser.screenshot('dead-letters-replayed');
  });

  it('runs the reconciliation audit from the page and shows its findings', async () => {
    await page().goto(`${consoleApp.url}/#audit`);
    await page().locator('#audit-run').click();
    const verdict = page().locator('[data-audit-verdict]');
    await verdict.waitFor({ timeout: 120_000 });
    expect(await page().locator('[data-check]').count()).toBeGreaterThanOrEqual(8);
    await browser.screenshot('audit');
  }, 180_000);
});
