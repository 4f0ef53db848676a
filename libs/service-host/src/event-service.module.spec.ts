import { DynamicModule, Module } from '@nestjs/common';
import { ServiceTopology } from '@relay/contracts';
import { CONSUMER_TOPICS, ConsumerStatusModule, OUTBOX_RELAY_OPTIONS, OutboxRelayModule } from '@relay/messaging';
import { readEnv } from '@relay/service-runtime';
import { consumerEnvShape, EventServiceEnv, outboxEnvShape, serviceEnvShape } from './config/service-env';
import { eventServiceModule } from './event-service.module';

@Module({})
class DeliveryFeature {}

const config: EventServiceEnv = readEnv(
  { ...serviceEnvShape({ port: 3002, schema: 'delivery', clientId: 'delivery' }), ...consumerEnvShape({ group: 'delivery' }), ...outboxEnvShape() },
  { KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: 'postgres://relay@127.0.0.1:5432/relay', KAFKA_SECURITY_PROTOCOL: 'plaintext' },
);

describe('eventServiceModule', () => {
  const featureConfigs: EventServiceEnv[] = [];
  const root = eventServiceModule(
    {
      name: 'delivery',
      description: 'a service under test',
      persistence: { entities: [], migrations: [] },
      readConfig: () => config,
      feature: (read) => {
        featureConfigs.push(read);
        return DeliveryFeature;
      },
    },
    config,
  );
  const imported = (type: unknown) => (root.imports ?? []).find((entry) => (entry as DynamicModule).module === type) as DynamicModule;

  it('publishes and follows the topics ServiceTopology gives the service, by its name', () => {
    expect(imported(OutboxRelayModule).providers).toContainEqual({ provide: OUTBOX_RELAY_OPTIONS, useValue: expect.objectContaining({ publishes: [...ServiceTopology.delivery.publishes] }) });
    expect(imported(ConsumerStatusModule).providers).toContainEqual({ provide: CONSUMER_TOPICS, useValue: [...ServiceTopology.delivery.consumes] });
  });

  it('imports the feature module built from the validated environment', () => {
    expect(root.imports).toContain(DeliveryFeature);
    expect(featureConfigs).toEqual([config]);
  });
});
