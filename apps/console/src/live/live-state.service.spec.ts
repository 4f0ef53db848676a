import { groupsLag, GroupLag, listTopics, TopicSummary } from '@relay/ops';
import { readConsoleConfig } from '../config/console.config';
import { LiveStateService } from './live-state.service';

jest.mock('@relay/ops', () => ({ groupsLag: jest.fn(), listTopics: jest.fn() }));

const lagOf = jest.mocked(groupsLag);
const topicsOf = jest.mocked(listTopics);

function groupLag(group: string, topics: string[], lag: string, committed = '5'): GroupLag {
  return {
    group,
    state: 'Stable',
    members: 1,
    topics,
    owners: {},
    totalLag: lag,
    partitions: [{ topic: topics[0], partition: 0, committedOffset: committed, endOffset: String(Number(committed) + Number(lag)), lag, owner: { clientId: group, memberId: `${group}-1`, host: '/127.0.0.1' } }],
  };
}

const topic = (name: string, retained: string): TopicSummary => ({ topic: name, partitions: 1, endOffsets: [], totalEnd: retained, retained });

function metrics(consumed: number, published: number): string {
  return [
    `relay_events_consumed_total{group="inventory",topic="relay.orders.v1",event_type="order.placed",outcome="applied"} ${consumed}`,
    `relay_events_consumed_total{group="someone-else",topic="relay.orders.v1",event_type="order.placed",outcome="applied"} 1000`,
    `relay_outbox_published_total{topic="relay.inventory.v1"} ${published}`,
    'relay_outbox_backlog 3',
    'relay_outbox_oldest_age_seconds 1.5',
  ].join('\n');
}

describe('LiveStateService', () => {
  const config = readConsoleConfig({
    KAFKA_BROKERS: '127.0.0.1:9092',
    DATABASE_URL: 'postgres://relay@127.0.0.1:5433/relay',
    INVENTORY_URLS: 'http://inventory-1,http://inventory-2',
  });
  let inventoryCounters = { consumed: 10, published: 4 };

  beforeEach(() => {
    lagOf.mockResolvedValue([
      groupLag('orders', ['relay.inventory.v1'], '0'),
      groupLag('inventory', ['relay.orders.v1'], '7'),
      groupLag('delivery', ['relay.orders.v1'], '0'),
    ]);
    topicsOf.mockResolvedValue([
      topic('relay.orders.v1', '100'),
      topic('relay.orders.v1.dlq.inventory', '2'),
      topic('relay.orders.v1.dlq.inventory-another-stack', '9'),
    ]);
    jest.spyOn(global, 'fetch').mockImplementation(async (input) => {
      const url = String(input);
      if (url.startsWith('http://inventory-2')) throw new Error('connect ECONNREFUSED');
      const body = url.startsWith('http://inventory-1') ? metrics(inventoryCounters.consumed, inventoryCounters.published) : '';
      return new Response(body, { status: 200 });
    });
  });

  afterEach(() => jest.restoreAllMocks());

  it("shows each service's topics, instances, outbox and each group's lag and owners", async () => {
    const snapshot = await new LiveStateService(config).sampleOnce();
    const inventory = snapshot.services.find((service) => service.id === 'inventory')!;
    expect(inventory).toEqual(
      expect.objectContaining({
        group: 'inventory',
        publishes: ['relay.inventory.v1'],
        consumes: ['relay.orders.v1'],
        instances: [
          { url: 'http://inventory-1', up: true },
          { url: 'http://inventory-2', up: false },
        ],
        outboxBacklog: 3,
        outboxOldestAgeSeconds: 1.5,
      }),
    );
    expect(snapshot.problems).toEqual(['inventory: http://inventory-2 not answering']);
    expect(snapshot.groups.find((group) => group.group === 'inventory')).toEqual(
      expect.objectContaining({ service: 'inventory', totalLag: '7', stalled: false, partitions: [expect.objectContaining({ owner: { clientId: 'inventory', memberId: 'inventory-1', host: '/127.0.0.1' } })] }),
    );
  });

  it("lists the watched groups' dead-letter topics only, with what they hold", async () => {
    const snapshot = await new LiveStateService(config).sampleOnce();
    expect(snapshot.deadLetters).toEqual([{ dlqTopic: 'relay.orders.v1.dlq.inventory', group: 'inventory', sourceTopic: 'relay.orders.v1', parked: 2 }]);
  });

  it("rates events in (its own group's) and out per second from the instances' counters", async () => {
    const live = new LiveStateService(config);
    const clock = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    inventoryCounters = { consumed: 10, published: 4 };
    const first = await live.sampleOnce();
    expect(first.services.find((service) => service.id === 'inventory')!.eventsInPerSecond).toBeNull();
    clock.mockReturnValue(1_002_000);
    inventoryCounters = { consumed: 110, published: 44 };
    const second = await live.sampleOnce();
    const inventory = second.services.find((service) => service.id === 'inventory')!;
    // 100 more consumed and 40 more published in 2 s; another group's counter on the same instance is not inventory's.
    expect({ in: inventory.eventsInPerSecond, out: inventory.eventsOutPerSecond }).toEqual({ in: 50, out: 20 });
  });

  it('says what it could not measure instead of failing the sample', async () => {
    lagOf.mockRejectedValue(new Error('broker unreachable'));
    const snapshot = await new LiveStateService(config).sampleOnce();
    expect(snapshot.groups).toEqual([]);
    expect(snapshot.problems).toContain('lag: broker unreachable');
  });
});
