import { ApiErrorDetail } from './api-error';

/**
 * C0 control characters but tab, line feed and carriage return; DEL; C1 control characters. No
 * field of ours means them, and NUL is refused by PostgreSQL (a request carrying it would fail
 * deep inside a write as a 500 instead of here as a 400).
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/**
 * Every string in a request value (a parsed JSON body, query or path parameter) that holds a
 * control character or an unpaired UTF-16 surrogate (a JSON `"\ud800"` parses to one, and it has no
 * UTF-8 form for PostgreSQL to store), named by its path as validation errors are (`items.0.sku`).
 */
export function findUnsafeText(value: unknown, path = ''): ApiErrorDetail[] {
  if (typeof value === 'string') {
    const field = path || 'value';
    const problem = problemOf(value);
    return problem ? [{ field, problem: `${field} must ${problem}` }] : [];
  }
  if (value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
  return entries.flatMap(([key, item]) => {
    const field = path ? `${path}.${key}` : key;
    const keyProblem = problemOf(key);
    // Escaped: the name itself holds the characters that must not reach a log line or a response.
    const named = keyProblem ? [{ field: JSON.stringify(field), problem: `field names must ${keyProblem}` }] : [];
    return [...named, ...findUnsafeText(item, field)];
  });
}

function problemOf(text: string): string | undefined {
  if (CONTROL_CHARACTER.test(text)) return 'not contain control characters';
  if (!text.isWellFormed()) return 'be well-formed Unicode (it holds an unpaired surrogate)';
  return undefined;
}
