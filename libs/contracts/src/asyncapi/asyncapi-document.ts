import { EventCatalogue } from '../event-catalogue';
import { AnyEventContract } from '../event-contract';
import { TopicName, Topics } from '../topics';
import { RELAY_SERVICES, ServiceTopology, TopicProducers } from '../topology';
import { eventMessageJsonSchema, JsonSchema } from './event-json-schema';

/** The command that rewrites docs/asyncapi.json (and records new event versions' schemas) from the contracts. */
export const REGENERATE_ASYNCAPI = 'npm run generate:asyncapi';

/** A channel's id in the document: the Topics key (AsyncAPI ids allow no dots). */
function channelId(topic: TopicName): string {
  const key = Object.entries(Topics).find(([, name]) => name === topic)?.[0];
  if (!key) throw new Error(`${topic} is not in Topics`);
  return key;
}

/** A message's id in the document: its pattern with underscores, e.g. `order_placed_v1`. */
function messageId(contract: AnyEventContract): string {
  return contract.pattern.replace(/\./g, '_');
}

const contractsOn = (topic: TopicName) => [...EventCatalogue.values()].filter((contract) => contract.topic === topic);

const messageRefs = (topic: TopicName) => contractsOn(topic).map((contract) => ({ $ref: `#/channels/${channelId(topic)}/messages/${messageId(contract)}` }));

/**
 * The platform's AsyncAPI 3.0 document, derived from ServiceTopology and the event catalogue:
 * channels are the topics, operations who sends (the topic's publisher) and who receives (each
 * consuming service, with its default consumer group), messages the event versions with their
 * envelope and data as JSON Schema. Committed as docs/asyncapi.json (a spec keeps it equal to
 * this) and served by every service at /docs/asyncapi.json on its management port.
 */
export function asyncApiDocument(): JsonSchema {
  const topics = Object.values(Topics);
  const channels = Object.fromEntries(
    topics.map((topic) => [
      channelId(topic),
      {
        address: topic,
        title: topic,
        description: `Published by ${TopicProducers[topic]} through its outbox; keyed by the aggregate id, so one aggregate's events stay in order.`,
        messages: Object.fromEntries(contractsOn(topic).map((contract) => [messageId(contract), { $ref: `#/components/messages/${messageId(contract)}` }])),
      },
    ]),
  );
  const operations = Object.fromEntries(
    RELAY_SERVICES.flatMap((service) => {
      const { publishes, consumes, consumerGroup } = ServiceTopology[service];
      return [
        ...publishes.map((topic) => [
          `${service}_send_${channelId(topic)}`,
          { action: 'send', title: `${service} publishes ${topic}`, channel: { $ref: `#/channels/${channelId(topic)}` }, messages: messageRefs(topic) },
        ]),
        ...consumes.map((topic) => [
          `${service}_receive_${channelId(topic)}`,
          {
            action: 'receive',
            title: `${service} consumes ${topic}`,
            channel: { $ref: `#/channels/${channelId(topic)}` },
            messages: messageRefs(topic),
            bindings: { kafka: { groupId: { type: 'string', description: 'KAFKA_GROUP_ID; this default, or a name starting with it', enum: [consumerGroup] }, bindingVersion: '0.5.0' } },
          },
        ]),
      ];
    }),
  );
  const messages = Object.fromEntries(
    [...EventCatalogue.values()].map((contract) => [
      messageId(contract),
      {
        name: contract.pattern,
        title: `${contract.type} v${contract.version}`,
        contentType: 'application/json',
        payload: eventMessageJsonSchema(contract),
        bindings: { kafka: { key: { type: 'string', description: 'The id of the aggregate the event is about' }, bindingVersion: '0.5.0' } },
      },
    ]),
  );
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Relay events',
      version: '1',
      description:
        'The events Relay\'s services exchange over Kafka, generated from the contracts (libs/contracts: ServiceTopology and the event catalogue). ' +
        'Delivery is at least once; consumers are idempotent and ignore fields they do not know. An additive change keeps an event\'s version; ' +
        'a breaking one is a new major version on a new topic.',
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages },
  };
}

/** The document as committed: stable key order, two-space indentation, a final newline. */
export function asyncApiJson(): string {
  return `${JSON.stringify(asyncApiDocument(), null, 2)}\n`;
}
