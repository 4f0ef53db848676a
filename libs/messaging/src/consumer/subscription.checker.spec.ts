import { OrderPlacedV1, StockReservedV1, Topics } from '@relay/contracts';
import { checkSubscriptions, SubscriptionRefusedError, subscriptionProblems } from './subscription.checker';

describe('subscriptionProblems', () => {
  const inventory = { service: 'inventory', topics: [Topics.orderEvents] };

  it('accepts handlers whose events travel on topics the service consumes', () => {
    expect(subscriptionProblems([{ pattern: OrderPlacedV1.pattern, handler: 'OrderEventsController.onOrderEvents' }], inventory)).toEqual([]);
  });

  it('names the handler, the event, its topic and the service when the topology does not give it that topic', () => {
    const problems = subscriptionProblems([{ pattern: StockReservedV1.pattern, handler: 'StockEventsController.onReserved' }], inventory);
    expect(problems).toEqual([
      'StockEventsController.onReserved subscribes to stock.reserved.v1 on topic relay.inventory.v1, which service inventory does not consume ' +
        '(it consumes relay.orders.v1): add the topic to ServiceTopology.inventory.consumes or remove the handler',
    ]);
  });

  it('names a pattern that is no event of the catalogue', () => {
    expect(subscriptionProblems([{ pattern: 'order.shipped.v1', handler: 'A.b' }], inventory)).toEqual([expect.stringMatching(/^A\.b subscribes to order\.shipped\.v1, which names no event in the contracts catalogue/)]);
  });

  it('lists every problem at once, and checkSubscriptions throws them together', () => {
    const handlers = [
      { pattern: StockReservedV1.pattern, handler: 'A.one' },
      { pattern: OrderPlacedV1.pattern, handler: 'A.two' },
      { pattern: StockReservedV1.pattern, handler: 'B.three' },
    ];
    expect(() => checkSubscriptions(handlers, inventory)).toThrow(SubscriptionRefusedError);
    expect(() => checkSubscriptions(handlers, inventory)).toThrow(/A\.one subscribes[^\n]*\n- B\.three subscribes/);
    expect(() => checkSubscriptions(handlers.slice(1, 2), inventory)).not.toThrow();
  });
});
