import 'reflect-metadata';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureHttpApp, createHttpAdapter, runService } from '@relay/service-runtime';
import { ConsoleModule } from './app.module';
import { readConsoleConfig } from './config/console.config';

/** The page and its script (copied next to the compiled code by the build), and uPlot from npm. */
const PAGE_DIR = path.join(__dirname, '..', 'public');
const UPLOT_DIR = path.join(path.dirname(require.resolve('uplot/package.json')), 'dist');

runService('console', async () => {
  const config = readConsoleConfig();
  const app = await NestFactory.create<NestFastifyApplication>(ConsoleModule.forRoot(config), createHttpAdapter(), { bufferLogs: true });
  configureHttpApp(app, { service: 'console', shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  app.useStaticAssets({ root: PAGE_DIR, prefix: '/' });
  app.useStaticAssets({ root: UPLOT_DIR, prefix: '/vendor/uplot/', decorateReply: false });
  // Loopback only: until the console requires the admin role (see ConsoleAccessGuard), it must
  // not be reachable from another machine; it can replay and purge dead letters.
  await app.listen(config.PORT, '127.0.0.1');
  new Logger('console').log(`console listening on http://127.0.0.1:${config.PORT}`);
});
