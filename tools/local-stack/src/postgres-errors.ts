/** Node's errno (`ENOENT`) or PostgreSQL's SQLSTATE (`42P04`), whichever `error` carries as its `code`. */
export function hasErrorCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

/** An error's message, with the stderr of a failed execFile appended (it says why). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const stderr = 'stderr' in error && typeof error.stderr === 'string' ? error.stderr : '';
    return stderr ? `${error.message} ${stderr}` : error.message;
  }
  return String(error);
}
