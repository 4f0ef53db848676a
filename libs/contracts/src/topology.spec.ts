import { Topics } from './topics';
import { RELAY_SERVICES, ServiceTopology } from './topology';

describe('ServiceTopology', () => {
  it('gives every service its own default port, and a management port (+1000) no other service listens on', () => {
    const ports = RELAY_SERVICES.map((service) => ServiceTopology[service].httpPort);
    expect(new Set([...ports, ...ports.map((port) => port + 1000)]).size).toBe(ports.length * 2);
  });

  it('names each default consumer group after its service, as the Kafka ACLs require (a group starting with the service name)', () => {
    for (const service of RELAY_SERVICES) expect([service, ServiceTopology[service].consumerGroup.startsWith(service)]).toEqual([service, true]);
  });

  it('has every topic published by a service, and no service consuming what it publishes itself', () => {
    const published = RELAY_SERVICES.flatMap((service) => ServiceTopology[service].publishes);
    expect([...published].sort()).toEqual(Object.values(Topics).sort());
    for (const service of RELAY_SERVICES) {
      const { publishes, consumes } = ServiceTopology[service];
      expect([service, consumes.filter((topic) => (publishes as readonly string[]).includes(topic))]).toEqual([service, []]);
    }
  });
});
