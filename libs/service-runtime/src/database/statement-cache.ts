import { createHash } from 'node:crypto';
import { Client, ClientConfig } from 'pg';

/** Distinct statement texts that get a name; past it, new texts run unnamed (as pg does by default). */
const MAX_NAMED_STATEMENTS = 1_000;

const names = new Map<string, string>();

/** A stable name per statement text, or undefined once the cache is full. */
export function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED_STATEMENTS) {
    name = `relay_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * A pg client that prepares each parameterised statement once per connection and then only binds
 * and executes it. By default pg sends every query as an unnamed statement, which PostgreSQL parses
 * and plans again each time; our statements are a small fixed set run thousands of times a second,
 * so that was a fifth of the database's CPU per statement (see docs/performance.md). Statements
 * without parameters (BEGIN, COMMIT, DDL) are sent as they are.
 */
export class StatementCachingClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((config: unknown, values?: unknown, callback?: unknown) => {
      if (typeof config === 'string' && Array.isArray(values) && values.length > 0) {
        const name = statementName(config);
        if (name !== undefined) return query({ name, text: config, values }, callback);
      }
      return query(config, values, callback);
    }) as Client['query'];
  }
}
