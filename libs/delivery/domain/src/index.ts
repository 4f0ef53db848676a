export * from './delivery-plan';
