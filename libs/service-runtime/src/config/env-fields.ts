import { z } from 'zod';

/** Reusable environment fields, so every service names and checks them the same way. */
export const envFields = {
  port: (defaultPort: number) => z.coerce.number().int().min(1).max(65535).default(defaultPort),

  brokers: z
    .string({ error: 'required: comma-separated host:port list, e.g. 127.0.0.1:9092' })
    .transform((value) => value.split(',').map((broker) => broker.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each broker must be host:port')).min(1)),

  postgresUrl: z
    .string({ error: 'required: a PostgreSQL URL, e.g. postgres://user@127.0.0.1:5432/relay' })
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL'),

  /** A PostgreSQL schema name: each service keeps its tables in its own schema. */
  schemaName: (defaultName: string) =>
    z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').default(defaultName),

  clientId: (defaultId: string) =>
    z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 letters, digits, ".", "_" or "-"').default(defaultId),

  /** An http(s) URL, or nothing (an empty value counts as unset). */
  optionalHttpUrl: z
    .string()
    .optional()
    .transform((value) => (value?.trim() ? value.trim() : undefined))
    .pipe(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional()),

  /** The address an HTTP listener binds to: an IP address or a host name. */
  listenHost: (defaultHost: string) =>
    z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'must be an IP address or host name, e.g. 127.0.0.1 or 0.0.0.0').default(defaultHost),

  positiveInt: (defaultValue: number, max = 1_000_000) => z.coerce.number().int().min(1).max(max).default(defaultValue),

  logLevel: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),

  /**
   * Which HTTP requests get a "request completed" line: `errors` (answered 400 or above; the others
   * only at debug level), or `all` of them at info level.
   */
  httpRequestLogging: z.enum(['errors', 'all']).default('errors'),

  /** Pretty lines for a person at a terminal, JSON lines for everything else. */
  logFormat: z.enum(['json', 'pretty']).default(process.stdout.isTTY ? 'pretty' : 'json'),
} as const;
