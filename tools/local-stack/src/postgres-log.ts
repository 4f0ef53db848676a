import { promises as fs } from 'node:fs';
import { errorMessage } from './postgres-errors';

/** Lines of the server log quoted in an error. */
const LOG_TAIL_LINES = 40;

/** The last lines of `logFile` written after `fromOffset`, headed by the file's name, for error messages. */
export async function readLogTail(logFile: string, fromOffset = 0): Promise<string> {
  try {
    const handle = await fs.open(logFile, 'r');
    try {
      const { size } = await handle.stat();
      const start = Math.max(fromOffset, size - 16_384);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      const lines = buffer.toString('utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES);
      return `--- last lines of ${logFile} ---\n${lines.join('\n')}`;
    } finally {
      await handle.close();
    }
  } catch (error) {
    return `(could not read ${logFile}: ${errorMessage(error)})`;
  }
}

/** Where the log ends now (0 if there is none yet): a later readLogTail from here quotes only what came after. */
export async function logSize(logFile: string): Promise<number> {
  return (await fs.stat(logFile).catch(() => undefined))?.size ?? 0;
}
