export * from './delivery-plan';
export * from './delivery-state';
