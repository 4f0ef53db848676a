import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { connectEventConsumer, consumerOptionsFrom } from '@relay/messaging';
import { configureHttpApp, runService, setupOpenApi } from '@relay/service-runtime';
import { AppModule } from './app.module';
import { readDeliveryConfig } from './config/delivery.config';

runService('delivery', async () => {
  const config = readDeliveryConfig();
  const app = await NestFactory.create(AppModule.forRoot(config), { bufferLogs: true });
  configureHttpApp(app, { service: 'delivery', shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  setupOpenApi(app, { title: 'Relay delivery', description: 'Delivery slots and routes, prepared on order placement and confirmed once stock is reserved.' });
  connectEventConsumer(app, consumerOptionsFrom(config));
  await app.startAllMicroservices();
  await app.listen(config.PORT);
  new Logger('delivery').log(`delivery listening on http://127.0.0.1:${config.PORT} (schema "${config.DATABASE_SCHEMA}", group "${config.KAFKA_GROUP_ID}")`);
});
