export * from './delivery.module';
export * from './track-delivery/track-delivery.use-case';
