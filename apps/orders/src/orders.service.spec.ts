import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { OrderIntake } from '@relay/orders/feature';
import { orderIntakeOptionsFrom, readOrdersConfig } from './config/orders.config';
import { ordersService } from './orders.service';

@Global()
@Module({ providers: [{ provide: DataSource, useValue: {} }], exports: [DataSource] })
class NoDatabase {}

describe('the orders service', () => {
  const required = { KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: 'postgres://relay@127.0.0.1:5432/relay' };

  it('gives POST /orders the group-commit settings of its environment', async () => {
    const config = readOrdersConfig({ ...required, ORDERS_WRITE_BATCH_MAX: '7', ORDERS_WRITE_QUEUE_MAX: '9', ORDERS_WRITE_CONCURRENCY: '2' });
    const app = await Test.createTestingModule({ imports: [NoDatabase, ordersService.feature(config)] }).compile();
    expect(app.get(OrderIntake).options).toEqual({ writeBatchMax: 7, writeQueueMax: 9, writeConcurrency: 2 });
    await app.close();
  });

  it('defaults to 100 orders per transaction, 1,000 waiting and one transaction at a time, and refuses settings that cannot work', () => {
    expect(orderIntakeOptionsFrom(readOrdersConfig(required))).toEqual({ writeBatchMax: 100, writeQueueMax: 1_000, writeConcurrency: 1 });
    expect(() => readOrdersConfig({ ...required, ORDERS_WRITE_BATCH_MAX: '0', ORDERS_WRITE_QUEUE_MAX: 'lots' })).toThrow(
      /ORDERS_WRITE_BATCH_MAX: [\s\S]*ORDERS_WRITE_QUEUE_MAX: /,
    );
  });
});
