import { readFileSync } from 'node:fs';
import { EventCatalogue } from '../event-catalogue';
import { RELAY_SERVICES, ServiceTopology } from '../topology';
import { asyncApiDocument, asyncApiJson, REGENERATE_ASYNCAPI } from './asyncapi-document';
import { ASYNCAPI_FILE } from './asyncapi-file';

type Document = {
  channels: Record<string, { address: string; messages: Record<string, unknown> }>;
  operations: Record<string, { action: string; channel: { $ref: string } }>;
  components: { messages: Record<string, { name: string; payload: { properties: Record<string, { const?: unknown }> } }> };
};

describe('the AsyncAPI document', () => {
  it('is what docs/asyncapi.json commits', () => {
    if (readFileSync(ASYNCAPI_FILE, 'utf8') !== asyncApiJson()) throw new Error(`${ASYNCAPI_FILE} differs from what the contracts give: run \`${REGENERATE_ASYNCAPI}\` and commit the result`);
  });

  it('has a channel per topic carrying its events, a send per publisher and a receive per consumer, and every event version as a message', () => {
    const document = asyncApiDocument() as unknown as Document;
    const channelOf = (ref: string) => document.channels[ref.replace('#/channels/', '')].address;
    const operations = Object.values(document.operations).map((operation) => `${operation.action} ${channelOf(operation.channel.$ref)}`);
    const expected = RELAY_SERVICES.flatMap((service) => [...ServiceTopology[service].publishes.map((topic) => `send ${topic}`), ...ServiceTopology[service].consumes.map((topic) => `receive ${topic}`)]);
    expect(operations.sort()).toEqual(expected.sort());
    const messages = Object.values(document.components.messages);
    expect(messages.map((message) => message.name).sort()).toEqual([...EventCatalogue.keys()].sort());
    for (const message of messages) {
      const contract = EventCatalogue.get(message.name)!;
      expect([message.name, message.payload.properties.type.const, message.payload.properties.version.const]).toEqual([contract.pattern, contract.type, contract.version]);
    }
    const carried = Object.values(document.channels).map((channel) => [channel.address, Object.keys(channel.messages).length]);
    expect(carried).toEqual(Object.values(document.channels).map((channel) => [channel.address, [...EventCatalogue.values()].filter((contract) => contract.topic === channel.address).length]));
  });
});
