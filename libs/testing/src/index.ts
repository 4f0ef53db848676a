export * from './wait-for';
export * from './integration-env';
export * from './test-data-source';
export * from './settings/env-example';
export * from './settings/readme-settings';
export * from './settings/documented-settings';
