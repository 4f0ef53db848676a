export * from './config/service-env';
export * from './config/service-settings';
export * from './event-service.definition';
export * from './event-service.module';
export * from './run-event-service';
export * from './health/health.controller';
export * from './health/health.module';
export * from './health/shutdown-state';
