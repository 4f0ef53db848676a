import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { asyncApiDocument, ServiceTopology } from '@relay/contracts';
import { connectEventConsumer } from '@relay/messaging';
import {
  callerIdentificationFrom,
  configureHttpApp,
  createCallerAuthenticator,
  createHttpAdapter,
  describeKafkaSecurity,
  listenOnManagementPort,
  managementListenFrom,
  runService,
  setupAsyncApi,
  setupOpenApi,
} from '@relay/service-runtime';
import { EventServiceEnv } from './config/service-env';
import { consumerOptionsFrom, kafkaSettingsFrom } from './config/service-settings';
import { EventServiceDefinition } from './event-service.definition';
import { eventServiceModule } from './event-service.module';

/**
 * A service's `main`: reads and validates its environment (the token keys included: a missing or
 * unreadable key stops the start; HTTP_AUTH=insecure-header only on a loopback HOST), starts HTTP (the API and health on PORT; metrics, docs,
 * consumer status and health on the management port) and its event consumer, and logs where it
 * listens. A bad environment exits 1 with a message naming each bad variable.
 */
export function runEventService<TConfig extends EventServiceEnv>(service: EventServiceDefinition<TConfig>): void {
  runService(service.name, async () => {
    const config = service.readConfig();
    const management = managementListenFrom(config);
    const authenticator = await createCallerAuthenticator(callerIdentificationFrom(config, { variable: 'HOST', host: config.HOST }));
    const kafka = kafkaSettingsFrom(config);
    const app = await NestFactory.create(eventServiceModule(service, config), createHttpAdapter(), { bufferLogs: true });
    await configureHttpApp(app, { service: service.name, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS, authenticator, rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE });
    setupOpenApi(app, { title: `Relay ${service.name}`, description: service.description });
    setupAsyncApi(app, asyncApiDocument());
    connectEventConsumer(app, { ...consumerOptionsFrom(config), subscriber: { service: service.name, topics: ServiceTopology[service.name].consumes } });
    await app.startAllMicroservices();
    // HOST: every interface by default, as a container needs; Fastify alone would listen on localhost only.
    await app.listen(config.PORT, config.HOST);
    await listenOnManagementPort(app.getHttpAdapter().getInstance(), management);
    new Logger(service.name).log(
      `${service.name} listening on http://127.0.0.1:${config.PORT} (management http://${management.host}:${management.port}; schema "${config.DATABASE_SCHEMA}", group "${config.KAFKA_GROUP_ID}", Kafka ${describeKafkaSecurity(kafka.security)})`,
    );
  });
}
