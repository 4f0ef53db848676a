/**
 * The peer baseline (issue 11): Relay's order flow the way a NestJS user builds it today (see
 * ../peer/peer-app.ts for what it does and what it does not guarantee), run on the bench's own Kafka
 * and PostgreSQL with the same Node flags as Relay's services, driven by the same load generator,
 * and judged by the same sustained search as Relay's end-to-end phase (runSustainSearch): Relay's
 * sustained rate is reported as a ratio to the peer's.
 */
import path from 'node:path';
import { REPO_ROOT, runCommand } from '@relay/local-stack';
import { BENCH_SKUS, BENCH_STOCK } from '../events';
import { BenchPlan } from '../options';
import { watchDeliveryFirstCommits } from '../first-commits';
import { effectTimes, OrderFlow, waitUntilDrained } from '../pipeline';
import { PEER_APPS, PEER_TOPICS, PeerAppName } from '../peer/peer-contract';
import { progress } from '../progress';
import { BenchStack, ProgramHandle } from '../stack';
import { runSustainSearch, SustainedSearch } from './end-to-end';
import { warmUp } from './rest-sweep';

export type PeerWatched = 'inventoryLag' | 'deliveryLag';

export interface PeerResults {
  sustained: SustainedSearch<PeerWatched>;
  /** What the peer is, in one sentence, for the report. */
  description: string;
}

export const PEER_DESCRIPTION =
  'naive NestJS: orders saves with TypeORM then ClientKafka.emit()s; inventory and delivery are @EventPattern handlers on the stock ServerKafka (eachMessage, one partition at a time, auto-commit) writing with TypeORM; no outbox, no inbox, no dead letters';

interface PeerSetup {
  orders: ProgramHandle;
  inventory: ProgramHandle;
  delivery: ProgramHandle;
}

/** Compiles ../peer with SWC (the services' own .swcrc) into the results folder; returns that folder. */
async function buildPeer(stack: BenchStack): Promise<string> {
  const outDir = path.join(stack.resultsDir, 'peer-dist');
  const swc = path.join(REPO_ROOT, 'node_modules', '.bin', 'swc');
  const source = path.relative(REPO_ROOT, path.join(__dirname, '..', 'peer'));
  const result = await runCommand(swc, [source, '--config-file', '.swcrc', '--ignore', '**/*.spec.ts', '--out-dir', outDir, '--quiet'], { cwd: REPO_ROOT });
  if (result.code !== 0) throw new Error(`building the peer failed (swc exit ${result.code}):\n${result.stdout.slice(-2_000)}\n${result.stderr.slice(-2_000)}`);
  return path.join(outDir, source);
}

const appOf = (name: PeerAppName): string => name.replace(/^peer-/, '');

async function startPeer(stack: BenchStack, builtDir: string): Promise<PeerSetup> {
  for (const topic of Object.values(PEER_TOPICS)) await stack.ensureTopic(topic);
  const specs = PEER_APPS.map((name) => ({
    label: name,
    name,
    entryPoint: path.join(builtDir, appOf(name), 'main.js'),
    schema: stack.schemaFor(name.replace('-', '_')),
    group: stack.groupFor(name),
    profiled: false,
    // The peer is not Relay: its topics and groups have no ACLs of their own, so it logs in as `admin`.
    principal: 'admin' as const,
    // The build sits in the results folder, which --out may put outside the repository.
    env: { NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
  }));
  // Fresh groups read only what is produced from now on; the schemas exist before TypeORM's migrations run.
  await stack.positionGroupAtEnd(stack.groupFor('peer-inventory'), [PEER_TOPICS.orders]);
  await stack.positionGroupAtEnd(stack.groupFor('peer-delivery'), [PEER_TOPICS.orders, PEER_TOPICS.stock]);
  for (const spec of specs) await stack.db.query(`CREATE SCHEMA IF NOT EXISTS "${spec.schema}"`);
  progress.say('starting the peer (naive NestJS orders, inventory and delivery)…');
  const [orders, inventory, delivery] = await Promise.all(specs.map((spec) => stack.startProgram(spec)));
  await Promise.all([inventory, delivery].map((handle) => stack.waitForGroupMembers(handle.group)));
  await stack.db.query(`INSERT INTO "${inventory.schema}".stock_items (sku, on_hand, reserved) SELECT unnest($1::text[]), $2, 0`, [BENCH_SKUS, BENCH_STOCK]);
  return { orders, inventory, delivery };
}

/**
 * The peer as an OrderFlow. Its consumers have no lag endpoint: lag is measured by the bench, end
 * offsets minus the offsets kafkajs auto-commits after each batch. Processed times come from the
 * peer's own rows, the same tables as Relay's services write (effectTimes).
 */
export function peerFlow(stack: BenchStack, peer: PeerSetup): OrderFlow<PeerWatched> {
  const measure = async (): Promise<Record<PeerWatched, number>> => {
    const [inventoryLag, deliveryLag] = await Promise.all([
      stack.groupLag(peer.inventory.group, [PEER_TOPICS.orders]),
      stack.groupLag(peer.delivery.group, [PEER_TOPICS.orders, PEER_TOPICS.stock]),
    ]);
    return { inventoryLag, deliveryLag };
  };
  return {
    ordersUrl: peer.orders.url,
    watched: { inventoryLag: 'peer inventory lag', deliveryLag: 'peer delivery lag' },
    sampledHow: 'lag: end offsets minus committed offsets of each group, measured by the bench',
    sampleBacklogs: async () => measure().catch(() => ({ inventoryLag: null, deliveryLag: null })),
    drain: (timeoutSeconds, step) => waitUntilDrained(measure, (b) => `peer lag inventory ${b.inventoryLag}, delivery ${b.deliveryLag}`, timeoutSeconds, step),
    watchDeliveryFirstCommits: () => watchDeliveryFirstCommits(stack, peer.delivery.schema),
    processedTimes: (since, firstCommits) => effectTimes(stack, { orders: peer.orders.schema, inventory: peer.inventory.schema, delivery: peer.delivery.schema }, since, firstCommits),
  };
}

/**
 * Builds and starts the peer, warms it up, runs the sustained search on it, and stops it. The
 * search walks the same ladder as Relay's from `startRate`: Relay's sustained rate when the e2e
 * phase found one (the first trial answers "does the peer keep up with Relay?"), else the plan's.
 */
export async function runPeer(stack: BenchStack, plan: BenchPlan, startRate = plan.sustainStartRate): Promise<PeerResults> {
  stack.sampler.setPhase('peer-startup');
  const builtDir = await buildPeer(stack);
  try {
    const peer = await startPeer(stack, builtDir);
    const flow = peerFlow(stack, peer);
    await warmUp(flow, plan);
    stack.sampler.setPhase('peer');
    // Relay's intake saturation does not cap the peer's ladder: it is not the peer's.
    const sustained = await runSustainSearch(flow, { ...plan, sustainStartRate: startRate }, undefined);
    progress.say(`peer: highest sustained ${sustained.highestSustainedRate ?? 'none'} orders/s`);
    return { sustained, description: PEER_DESCRIPTION };
  } finally {
    stack.sampler.setPhase('peer-teardown');
    progress.say('stopping the peer…');
    await Promise.all(PEER_APPS.map((name) => stack.stopService(name)));
  }
}
