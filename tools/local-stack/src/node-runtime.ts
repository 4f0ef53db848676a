/**
 * The Node.js release line Relay runs and is tested on. `npm ci` installs this runtime from the npm
 * registry on Linux (the `node-linux-*` packages in package.json's optionalDependencies), and every
 * npm script runs on it, whatever the system's Node.js is: npm puts `node_modules/.bin` first on
 * the PATH of the scripts it runs, and the services, Jest workers and tools are started with this
 * process's own binary. Where no such package exists for the platform (macOS on Apple silicon has
 * none for Node 24), the system's Node.js is used and must be of this line.
 */
export const SUPPORTED_NODE_MAJOR = 24;

/** Why this Node.js cannot run Relay (older than the supported line), or undefined if it can. */
export function unsupportedNodeReason(version: string = process.versions.node, execPath: string = process.execPath): string | undefined {
  const major = Number(version.split('.')[0]);
  // Newer lines are let through (untested, but nothing Relay uses is removed in them); older ones
  // lack what the dependencies need (NestJS 12 and nestjs-pino require Node.js >= 22.12).
  if (major >= SUPPORTED_NODE_MAJOR) return undefined;
  return (
    `Relay runs on Node.js ${SUPPORTED_NODE_MAJOR} LTS; this is Node.js ${version} (${execPath}). ` +
    `Run it through npm (npm start, npm test, npm run …) after npm ci, which uses the Node.js ${SUPPORTED_NODE_MAJOR} ` +
    `that npm ci installed into node_modules/.bin, or install Node.js ${SUPPORTED_NODE_MAJOR} (.nvmrc names it).`
  );
}

/** Stops a command-line entry point at once, with the reason, on an unsupported Node.js. */
export function requireSupportedNode(): void {
  const reason = unsupportedNodeReason();
  if (reason === undefined) return;
  process.stderr.write(`${reason}\n`);
  process.exit(1);
}
