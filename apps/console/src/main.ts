import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { configureHttpApp, createHttpAdapter, runService } from '@relay/service-runtime';
import { ConsoleModule } from './app.module';
import { readConsoleConfig } from './config/console.config';

runService('console', async () => {
  const config = readConsoleConfig();
  const app = await NestFactory.create(ConsoleModule.forRoot(config), createHttpAdapter(), { bufferLogs: true });
  configureHttpApp(app, { service: 'console', shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  // Loopback only: until the console requires the admin role (see ConsoleAccessGuard), it must
  // not be reachable from another machine; it can replay and purge dead letters.
  await app.listen(config.PORT, '127.0.0.1');
  new Logger('console').log(`console listening on http://127.0.0.1:${config.PORT}`);
});
