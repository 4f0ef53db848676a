export * from './group-commit';
export * from './wait-for';
