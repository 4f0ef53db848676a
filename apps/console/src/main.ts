import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { callerIdentificationFrom, configureHttpApp, createCallerAuthenticator, createHttpAdapter, DEFAULT_RATE_LIMIT_PER_MINUTE, kafkaSecurityFrom, runService } from '@relay/service-runtime';
import { ConsoleModule } from './app.module';
import { readConsoleConfig } from './config/console.config';

runService('console', async () => {
  const config = readConsoleConfig();
  // Checked at boot, as the services do: a missing Kafka login stops it here, naming the variable
  // (the ops library then builds its clients from the same variables).
  kafkaSecurityFrom(config);
  // The same caller identification as the services (HTTP_AUTH): its API needs an operator (admin).
  const authenticator = await createCallerAuthenticator(callerIdentificationFrom(config, { variable: 'CONSOLE_HOST', host: config.CONSOLE_HOST }));
  const app = await NestFactory.create(ConsoleModule.forRoot(config), createHttpAdapter(), { bufferLogs: true });
  await configureHttpApp(app, { service: 'console', shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS, authenticator, rateLimitPerMinute: DEFAULT_RATE_LIMIT_PER_MINUTE });
  // Loopback by default (CONSOLE_HOST): it can replay and purge dead letters, so even with the admin
  // role required it is only exposed where an operator decides to.
  await app.listen(config.PORT, config.CONSOLE_HOST);
  new Logger('console').log(`console listening on http://127.0.0.1:${config.PORT}`);
});
