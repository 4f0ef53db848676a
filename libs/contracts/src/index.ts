export * from './topics';
export * from './envelope';
export * from './event-contract';
export * from './event-catalogue';
export * from './events/order-placed.v1';
export * from './testing/builders';
