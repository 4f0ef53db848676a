import { Logger } from '@nestjs/common';
import { ConfigError } from './config/read-env';

/**
 * Runs a service's bootstrap. A configuration error prints its message (naming the bad variables)
 * and exits 1 without a stack trace; any other start-up failure is logged and exits 1.
 */
export function runService(name: string, bootstrap: () => Promise<void>): void {
  bootstrap().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
    } else {
      new Logger(name).error(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    process.exit(1);
  });
}
