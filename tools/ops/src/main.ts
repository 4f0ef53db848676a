/** `npm run ops -- <command>`: see cli.ts and `npm run ops -- --help`. */
import { runCli } from './cli';
import { processIo } from './io';

void runCli(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
  // Every client is closed by now; should a library still hold a handle open, do not hang on it.
  setTimeout(() => process.exit(code), 2_000).unref();
});
