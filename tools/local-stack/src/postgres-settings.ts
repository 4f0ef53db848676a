/** What clients of the local PostgreSQL rely on: its default port and the one role and database. */
export const DEFAULT_POSTGRES_PORT = 5433;
export const POSTGRES_USER = 'relay';
export const POSTGRES_PASSWORD = 'relay';
export const POSTGRES_DATABASE = 'relay';
