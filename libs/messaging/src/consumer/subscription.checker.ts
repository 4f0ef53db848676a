import { AnyEventContract, EventCatalogue } from '@relay/contracts';

/** One handler as the consumer collected it: the event pattern it subscribes with and its name. */
export interface SubscribedHandler {
  pattern: string;
  /** `Class.method` (set by OnEvent / OnEvents), for the message that names it. */
  handler: string;
}

/** The service a consumer runs for and the topics its ServiceTopology entry lets it consume. */
export interface TopologySubscriber {
  service: string;
  topics: readonly string[];
}

/** Why a service refused to start: its handlers subscribe to what the topology does not give it. */
export class SubscriptionRefusedError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`the event handlers subscribe to what the topology does not give this service (libs/contracts/src/topology.ts):\n- ${problems.join('\n- ')}`);
    this.name = 'SubscriptionRefusedError';
  }
}

/**
 * What is wrong with the handlers' subscriptions, one line each; none when every handler's event
 * travels on a topic the service consumes. Subscriptions come from the handlers, while the lag
 * view, the KEDA triggers and the Kafka ACLs come from the topology: a handler outside it would
 * run with no lag watched and, on a secured broker, no right to read its topic.
 */
export function subscriptionProblems(handlers: readonly SubscribedHandler[], subscriber: TopologySubscriber, catalogue: ReadonlyMap<string, AnyEventContract> = EventCatalogue): string[] {
  return handlers.flatMap(({ pattern, handler }) => {
    const contract = catalogue.get(pattern);
    if (!contract) return [`${handler} subscribes to ${pattern}, which names no event in the contracts catalogue (known: ${[...catalogue.keys()].join(', ')})`];
    if (subscriber.topics.includes(contract.topic)) return [];
    return [
      `${handler} subscribes to ${pattern} on topic ${contract.topic}, which service ${subscriber.service} does not consume ` +
        `(it consumes ${subscriber.topics.join(', ') || 'nothing'}): add the topic to ServiceTopology.${subscriber.service}.consumes or remove the handler`,
    ];
  });
}

/** Throws SubscriptionRefusedError naming every handler, topic and the service when subscriptionProblems finds any. */
export function checkSubscriptions(handlers: readonly SubscribedHandler[], subscriber: TopologySubscriber, catalogue?: ReadonlyMap<string, AnyEventContract>): void {
  const problems = subscriptionProblems(handlers, subscriber, catalogue);
  if (problems.length > 0) throw new SubscriptionRefusedError(problems);
}
