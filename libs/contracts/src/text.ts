import { z } from 'zod';

/**
 * C0 control characters but tab, line feed and carriage return; DEL; C1 control characters. No
 * field of ours means them, and NUL is refused by PostgreSQL (a write carrying it fails deep inside
 * a transaction, as a 500 over HTTP or as retries of an event).
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/**
 * What is wrong with a text that no field of Relay may hold, phrased to follow "<field> must", or
 * undefined: a control character, or an unpaired UTF-16 surrogate (a JSON `"\ud800"` parses to one,
 * and it has no UTF-8 form for PostgreSQL to store). The HTTP intake (service-runtime's validation
 * pipe) and the event contracts both refuse such text.
 */
export function textProblem(text: string): string | undefined {
  if (CONTROL_CHARACTER.test(text)) return 'not contain control characters';
  if (!text.isWellFormed()) return 'be well-formed Unicode (it holds an unpaired surrogate)';
  return undefined;
}

/** A string of `min` to `max` characters that passes textProblem. */
export function plainText(min: number, max: number) {
  return z
    .string()
    .min(min)
    .max(max)
    .superRefine((text, context) => {
      const problem = textProblem(text);
      if (problem) context.addIssue({ code: 'custom', message: `must ${problem}` });
    });
}
