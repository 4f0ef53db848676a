import { Controller } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { OrderCancelledV1, OrderPlacedV1, StockReservedV1, Topics } from '@relay/contracts';
import { DataSource } from 'typeorm';
import { KafkaDriver } from '../kafka/driver/kafka-driver';
import { EventConsumerServer } from './event-consumer.server';
import { OnEvent, OnEvents } from './on-event.decorator';

@Controller()
class MisplacedHandlers {
  @OnEvents(OrderPlacedV1, OrderCancelledV1)
  onOrderEvents(): void {
    // Never called: only the subscription is under test.
  }

  @OnEvent(StockReservedV1)
  onStockReserved(): void {
    // Never called: the server refuses to start.
  }
}

// No Kafka here: the check runs before the server connects, so the driver must never be called.
const untouchedDriver = new Proxy({} as KafkaDriver, {
  get: (_, property) => {
    throw new Error(`the driver was used (${String(property)}) before the subscriptions were checked`);
  },
});

describe('EventConsumerServer, given the topology subscriber', () => {
  it('refuses to start when a handler subscribes to a topic the topology does not give the service, naming the handler, the topic and the service', async () => {
    const module = await Test.createTestingModule({ controllers: [MisplacedHandlers] }).compile();
    const server = new EventConsumerServer({
      kafka: { brokers: ['127.0.0.1:1'], clientId: 'subscriptions-spec', security: { protocol: 'plaintext' }, topicPartitions: 1, replicationFactor: 1 },
      driver: untouchedDriver,
      consumerGroup: 'inventory-subscriptions-spec',
      dataSource: {} as DataSource,
      subscriber: { service: 'inventory', topics: [Topics.orderEvents] },
      partitionsConsumedConcurrently: 1,
      sessionTimeoutMs: 15_000,
      chunkSize: 1,
    });
    const microservice = module.createNestMicroservice({ strategy: server, logger: false });
    try {
      const refusal: unknown = await microservice.listen().then(() => undefined, (error: unknown) => error);
      expect((refusal as Error | undefined)?.message).toMatch(
        /MisplacedHandlers\.onStockReserved subscribes to stock\.reserved\.v1 on topic relay\.inventory\.v1, which service inventory does not consume/,
      );
      // OnEvents' handler reads relay.orders.v1, which inventory consumes: not named.
      expect((refusal as Error).message).not.toMatch(/onOrderEvents/);
    } finally {
      await microservice.close();
    }
  });
});
