export * from './delivery.module';
export * from './schedule-delivery/schedule-delivery.use-case';
