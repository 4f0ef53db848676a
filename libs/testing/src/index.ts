export * from './wait-for';
export * from './integration-env';
export * from './test-data-source';
