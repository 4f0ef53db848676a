export * from './delivery.entity';
export * from './delivery-store';
export * from './delivery-persistence';
