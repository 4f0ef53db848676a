import { Topics, type TopicName } from './topics';

/**
 * Who publishes and who consumes each topic: the one declaration of the platform's event flow.
 * The services take their `publishes` / `consumes` from here (libs/service-host/src/event-service.module.ts), and
 * the Kafka ACLs are derived from it (tools/local-stack/src/kafka-acls.ts): a service may write
 * only the topics listed as its `publishes` and read only its `consumes`. Adding a subscription
 * here is what grants it. No imports beyond ./topics: the local stack loads this file by path.
 */
export const ServiceTopology = {
  orders: { publishes: [Topics.orderEvents], consumes: [Topics.inventoryEvents, Topics.deliveryEvents] },
  inventory: { publishes: [Topics.inventoryEvents], consumes: [Topics.orderEvents] },
  delivery: { publishes: [Topics.deliveryEvents], consumes: [Topics.orderEvents, Topics.inventoryEvents] },
} as const satisfies Record<string, { publishes: readonly TopicName[]; consumes: readonly TopicName[] }>;

export type RelayServiceName = keyof typeof ServiceTopology;
