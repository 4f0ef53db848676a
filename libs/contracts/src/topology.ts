import { Topics, type TopicName } from './topics';

/** One service's place in the platform: where it listens by default and its event flow. */
export interface ServiceTopologyEntry {
  /** Its default PORT (HTTP API and health); the management port is this + MANAGEMENT_PORT_OFFSET. */
  readonly httpPort: number;
  /** Its default KAFKA_GROUP_ID; the Kafka ACLs let the service use only groups starting with its name. */
  readonly consumerGroup: string;
  /** The topics its outbox relay writes: it is their only producer. */
  readonly publishes: readonly TopicName[];
  /** The topics its consumer group reads: its handlers may subscribe to these and no others. */
  readonly consumes: readonly TopicName[];
}

/**
 * The services, their default ports and consumer groups, and who publishes and who consumes each
 * topic: the one declaration of the platform's event flow. Derived from it: each service's outbox
 * topics, the topics of its `/consumer` view and lag metric, and the check that refuses to start a
 * service whose handlers subscribe to a topic not in its `consumes`
 * (libs/service-host: event-service.module.ts, run-event-service.ts); the Kafka ACLs (tools/local-stack/src/kafka-acls.ts: a
 * service may write only its `publishes` and read only its `consumes`, so adding a subscription
 * here is what grants it); the local stack's and the bench's service lists and ports; the KEDA
 * triggers (deploy/kubernetes/keda-triggers.ts) and the deploy checks; the AsyncAPI document
 * (docs/asyncapi.json). The audit's oracle (tools/ops/src/audit/model.ts) states the flow again on
 * purpose, so that a mistake here is caught there.
 *
 * No imports beyond ./topics: the local stack's Jest global setups load this file by path.
 */
export const ServiceTopology = {
  orders: { httpPort: 3000, consumerGroup: 'orders', publishes: [Topics.orderEvents], consumes: [Topics.inventoryEvents, Topics.deliveryEvents] },
  inventory: { httpPort: 3001, consumerGroup: 'inventory', publishes: [Topics.inventoryEvents], consumes: [Topics.orderEvents] },
  delivery: { httpPort: 3002, consumerGroup: 'delivery', publishes: [Topics.deliveryEvents], consumes: [Topics.orderEvents, Topics.inventoryEvents] },
} as const satisfies Record<string, ServiceTopologyEntry>;

export type RelayServiceName = keyof typeof ServiceTopology;

/** The operations console's default PORT (apps/console): no service, but part of the same port plan. */
export const CONSOLE_HTTP_PORT = 3003;

/** Every service, in the order of the declaration. */
export const RELAY_SERVICES = Object.keys(ServiceTopology) as RelayServiceName[];

function publisherOf(topic: TopicName): RelayServiceName {
  const publishers = RELAY_SERVICES.filter((service) => (ServiceTopology[service].publishes as readonly TopicName[]).includes(topic));
  if (publishers.length !== 1) throw new Error(`topic ${topic} must have exactly one publisher in ServiceTopology, has [${publishers.join(', ')}]`);
  return publishers[0];
}

/**
 * The one service that publishes each topic: what its events carry as the envelope's `producer`.
 * Consumers park an event whose `producer` names another service (message.decoder.ts). That check
 * catches a misrouted or mislabelled event, not an attacker: whoever may write a topic may write
 * any envelope and any header. The Kafka ACLs (tools/local-stack/src/kafka-acls.ts,
 * docs/security.md) let only the topic's producer (and ops, replaying) write it, so the topic is
 * the proof of who wrote an event, which is why an event is accepted only on the topic its
 * contract names.
 */
export const TopicProducers: Readonly<Record<TopicName, RelayServiceName>> = Object.fromEntries(
  Object.values(Topics).map((topic) => [topic, publisherOf(topic)]),
) as Record<TopicName, RelayServiceName>;
