export * from './order';
export * from './order-status';
