import { textProblem } from '@relay/contracts';
import { ApiErrorDetail } from './api-error';

/**
 * Every string in a request value (a parsed JSON body, query or path parameter) that holds a
 * control character or an unpaired UTF-16 surrogate (a JSON `"\ud800"` parses to one, and it has no
 * UTF-8 form for PostgreSQL to store), named by its path as validation errors are (`items.0.sku`).
 * The rule is the contracts' (textProblem): what the intake accepts, an event may carry.
 */
export function findUnsafeText(value: unknown, path = ''): ApiErrorDetail[] {
  if (typeof value === 'string') {
    const field = path || 'value';
    const problem = textProblem(value);
    return problem ? [{ field, problem: `${field} must ${problem}` }] : [];
  }
  if (value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
  return entries.flatMap(([key, item]) => {
    const field = path ? `${path}.${key}` : key;
    const keyProblem = textProblem(key);
    // Escaped: the name itself holds the characters that must not reach a log line or a response.
    const named = keyProblem ? [{ field: JSON.stringify(field), problem: `field names must ${keyProblem}` }] : [];
    return [...named, ...findUnsafeText(item, field)];
  });
}
