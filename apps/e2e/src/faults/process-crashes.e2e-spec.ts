import { AppProcess } from '@relay/local-stack';
import { startStack, Stack } from '../support/stack';
import { consumerOf, FaultRig, faultScenario } from './support/scenario';
import { FaultResults } from './support/results';
import { startArmed, waitForFailpointKill } from './support/processes';

// Fault suite, part 1: processes killed with SIGKILL at the worst moments (the failpoints of
// libs/messaging/src/failpoints.ts), under a steady stream of orders. Nothing may be lost or
// applied twice. This file runs on the suite's shared broker (the other fault files bring their
// own), so the audit runs in shared-topic mode: other stacks' events there are foreign, not orphans.

/** Short enough that the group hands a killed member's partitions on quickly; also the recovery floor. */
const SESSION_TIMEOUT_MS = '6000';

describe('fault suite: processes killed at the failpoints', () => {
  let stack: Stack;
  const results = new FaultResults('faults/process-crashes.e2e-spec.ts');
  const armed: AppProcess[] = [];
  const rig = (): FaultRig => ({ stack, kafkaBrokers: stack.kafkaBrokers, databaseUrl: process.env.DATABASE_URL!, sharedTopic: true, results, restore });

  /** After each scenario: no armed instance left, the stack's three apps running. */
  async function restore(): Promise<void> {
    await Promise.allSettled(armed.splice(0).map((app) => app.process.stop({ signal: 'SIGKILL', timeoutMs: 5_000 })));
    await Promise.all(stack.apps.map((app) => app.start()));
  }

  beforeAll(async () => {
    const consumer = { CONSUMER_SESSION_TIMEOUT_MS: SESSION_TIMEOUT_MS };
    stack = await startStack({ name: 'faultcrash', env: { orders: consumer, inventory: consumer, delivery: consumer } });
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(armed.map((app) => app.process.stop({ signal: 'SIGKILL', timeoutMs: 5_000 })));
    await stack?.stop();
    results.flush();
  }, 120_000);

  faultScenario(rig, '1', 'kill -9 orders between the database commit and the publish', async (run) => {
    await run.prepare();
    // Dies by itself at the 10th outbox batch it is about to publish: those orders are committed,
    // their events not sent.
    const orders = await startArmed(stack.orders, 'relay-before-publish@10', armed);
    run.start();
    const { at: diedAt } = await waitForFailpointKill(orders, 'relay-before-publish');
    run.fault('orders killed itself at the failpoint', diedAt);
    expect(run.loader.placed().length).toBeGreaterThan(0);
    await stack.orders.start();
    run.healed('orders restarted without the failpoint');

    await run.settle();
    await run.verify();
    // While orders was dead the loader met refused connections; each request was retried with its
    // key until it got a 201 (a replayed one if the dead process had committed it).
    const loader = run.loader.summary();
    run.result.details.failpoint = 'relay-before-publish@10';
    run.result.details.sessionTimeoutMs = Number(SESSION_TIMEOUT_MS);
    expect(loader.transportErrors).toBeGreaterThan(0);
  });

  faultScenario(rig, '2', 'kill -9 the relay after Kafka acknowledged, before the rows are marked sent', async (run) => {
    await run.prepare();
    const before = await Promise.all([consumerOf(stack.inventory.managementUrl), consumerOf(stack.delivery.managementUrl)]);
    const orders = await startArmed(stack.orders, 'relay-after-publish@10', armed);
    run.start();
    const { at: diedAt } = await waitForFailpointKill(orders, 'relay-after-publish');
    run.fault('orders killed itself at the failpoint', diedAt);
    await stack.orders.start();
    run.healed('orders restarted without the failpoint');

    await run.settle();
    const report = await run.verify();

    // The acknowledged batch was published again after the restart: its events are on the topic
    // twice (the audit notes the copies)…
    const mine = new Set(run.loader.placed().map((request) => request.orderId));
    const topic = report.checks.find((check) => check.id === 'topic')!;
    const copies = (topic.notes.find((note) => note.kind === 'duplicates')?.examples ?? [])
      .filter((example) => mine.has(String(example.orderId)))
      .reduce((sum, example) => sum + Number(example.copies) - 1, 0);
    // …and each group recognised every copy by its eventId: one duplicate each, no second effect
    // (the stock and the audit above prove the "no second effect").
    const after = await Promise.all([consumerOf(stack.inventory.managementUrl), consumerOf(stack.delivery.managementUrl)]);
    const duplicates = { inventory: after[0].counters.duplicates - before[0].counters.duplicates, delivery: after[1].counters.duplicates - before[1].counters.duplicates };
    run.result.details.failpoint = 'relay-after-publish@10';
    run.result.details.duplicateCopiesOnTopic = copies;
    run.result.details.duplicatesAbsorbed = duplicates;
    expect(copies).toBeGreaterThan(0);
    expect(duplicates).toEqual({ inventory: copies, delivery: copies });
  });

  faultScenario(rig, '3', 'kill -9 consumers mid-effect (inventory) and after the effect, before the offset commit (delivery)', async (run) => {
    await run.prepare();
    const inventory = await startArmed(stack.inventory, 'consumer-mid-effect@20', armed);
    const delivery = await startArmed(stack.delivery, 'consumer-after-effect@10', armed);
    run.start();
    // Each one is restarted (without the failpoint) as soon as it is dead, like a supervisor would.
    const [inventoryDied, deliveryDied] = await Promise.all([
      waitForFailpointKill(inventory, 'consumer-mid-effect').then(async ({ at }) => {
        await stack.inventory.start();
        return at;
      }),
      waitForFailpointKill(delivery, 'consumer-after-effect').then(async ({ at }) => {
        await stack.delivery.start();
        return at;
      }),
    ]);
    run.fault('first consumer killed itself at its failpoint', Math.min(inventoryDied, deliveryDied));
    run.healed('inventory and delivery restarted without the failpoints');

    await run.settle();
    await run.verify();
    // Delivery died after committing a chunk but before committing its offsets: the restarted
    // instance found its stored position ahead of Kafka's committed offset and sought past the
    // chunk instead of fetching it again (its counters start at 0 with the process).
    const [inventoryNow, deliveryNow] = await Promise.all([consumerOf(stack.inventory.managementUrl), consumerOf(stack.delivery.managementUrl)]);
    run.result.details.failpoints = { inventory: 'consumer-mid-effect@20', delivery: 'consumer-after-effect@10' };
    run.result.details.restartedCounters = { inventory: inventoryNow.counters, delivery: deliveryNow.counters };
    expect(deliveryNow.counters.seeks).toBeGreaterThan(0);
  });
});
