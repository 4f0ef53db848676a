import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { connectEventConsumer, consumerOptionsFrom } from '@relay/messaging';
import { configureHttpApp, runService, setupOpenApi } from '@relay/service-runtime';
import { AppModule } from './app.module';
import { readInventoryConfig } from './config/inventory.config';

runService('inventory', async () => {
  const config = readInventoryConfig();
  const app = await NestFactory.create(AppModule.forRoot(config), { bufferLogs: true });
  configureHttpApp(app, { service: 'inventory', shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  setupOpenApi(app, { title: 'Relay inventory', description: 'Stock levels and per-order reservations (all lines or none), driven by order events.' });
  connectEventConsumer(app, consumerOptionsFrom(config));
  await app.startAllMicroservices();
  await app.listen(config.PORT);
  new Logger('inventory').log(`inventory listening on http://127.0.0.1:${config.PORT} (schema "${config.DATABASE_SCHEMA}", group "${config.KAFKA_GROUP_ID}")`);
});
