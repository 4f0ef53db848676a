import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { connectEventConsumer, consumerOptionsFrom } from '@relay/messaging';
import { configureHttpApp, runService, setupOpenApi } from '@relay/service-runtime';
import { AppModule } from './app.module';
import { readOrdersConfig } from './config/orders.config';

runService('orders', async () => {
  const config = readOrdersConfig();
  const app = await NestFactory.create(AppModule.forRoot(config), { bufferLogs: true });
  configureHttpApp(app, { service: 'orders', shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  setupOpenApi(app, { title: 'Relay orders', description: 'Takes orders, tracks their status through inventory and delivery events, and lets customers cancel.' });
  connectEventConsumer(app, consumerOptionsFrom(config));
  await app.startAllMicroservices();
  await app.listen(config.PORT);
  new Logger('orders').log(`orders listening on http://127.0.0.1:${config.PORT} (schema "${config.DATABASE_SCHEMA}", group "${config.KAFKA_GROUP_ID}")`);
});
