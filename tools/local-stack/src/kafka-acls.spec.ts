import { deadLetterTopicFor, ServiceTopology, Topics } from '@relay/contracts';
import { relayAclTable, type AclOperation, type AclRule } from './kafka-acls';

/** Whether `rule` covers `name` (literal: equal, or the `*` wildcard; prefixed: starts with). */
const covers = (rule: AclRule, name: string) => (rule.pattern === 'prefixed' ? name.startsWith(rule.name) : rule.name === '*' || rule.name === name);

function allowed(principal: string, resource: AclRule['resource'], name: string, operation: AclOperation): boolean {
  return relayAclTable().some((rule) => rule.principal === principal && rule.resource === resource && covers(rule, name) && rule.operations.includes(operation));
}

describe('the Kafka ACL table', () => {
  const services = Object.keys(ServiceTopology) as Array<keyof typeof ServiceTopology>;
  const topics = Object.values(Topics);

  it('lets each service write exactly the topics it publishes', () => {
    for (const service of services) {
      for (const topic of topics) {
        expect([service, topic, allowed(service, 'topic', topic, 'Write')]).toEqual([service, topic, (ServiceTopology[service].publishes as readonly string[]).includes(topic)]);
      }
    }
  });

  it('lets each service read exactly the topics it consumes', () => {
    for (const service of services) {
      for (const topic of topics) {
        expect([service, topic, allowed(service, 'topic', topic, 'Read')]).toEqual([service, topic, (ServiceTopology[service].consumes as readonly string[]).includes(topic)]);
      }
    }
  });

  it('lets a service use its own groups and dead-letter topics, and no other service\'s', () => {
    expect(allowed('inventory', 'group', 'inventory', 'Read')).toBe(true);
    expect(allowed('inventory', 'group', 'inventory-e2e_abc', 'Read')).toBe(true);
    expect(allowed('inventory', 'group', 'delivery', 'Read')).toBe(false);
    expect(allowed('inventory', 'topic', deadLetterTopicFor(Topics.orderEvents, 'inventory-e2e_abc'), 'Write')).toBe(true);
    expect(allowed('inventory', 'topic', deadLetterTopicFor(Topics.orderEvents, 'delivery'), 'Write')).toBe(false);
    expect(allowed('delivery', 'topic', deadLetterTopicFor(Topics.inventoryEvents, 'inventory'), 'Write')).toBe(false);
  });

  it('lets ops read everything and write only replays to the source topics', () => {
    for (const topic of topics) {
      expect(allowed('ops', 'topic', topic, 'Read')).toBe(true);
      expect(allowed('ops', 'topic', topic, 'Write')).toBe(true);
      expect(allowed('ops', 'topic', deadLetterTopicFor(topic, 'inventory'), 'Read')).toBe(true);
      expect(allowed('ops', 'topic', deadLetterTopicFor(topic, 'inventory'), 'Write')).toBe(false);
    }
    expect(allowed('ops', 'group', 'inventory', 'Describe')).toBe(true);
    expect(allowed('ops', 'group', 'inventory', 'Read')).toBe(false);
  });

  it('grants nothing on the cluster but ops\'s Describe (no IdempotentWrite: Write on a topic implies it since Kafka 3.0)', () => {
    expect(relayAclTable().filter((rule) => rule.resource === 'cluster')).toEqual([expect.objectContaining({ principal: 'ops', operations: ['Describe'] })]);
  });
});
