import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Chromium, what the browser tests drive (Playwright's own downloads are not reachable here). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Flags for a headless Chromium on a closed network: without the background-networking ones,
 * Chromium's own connections (updates, sync, field trials) are refused and slow every start.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function run(command: string, args: string[], log: (message: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    let tail = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4_000);
      for (const line of text.split('\n')) if (/^(Get:|Setting up|Unpacking|Reading|Fetched)/.test(line)) log(line.trim());
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${tail}`))));
  });
}

/**
 * Makes sure Chromium is installed: if it is missing and we are root, installs Debian's package
 * (apt-get update, then apt-get install chromium), saying what it does; otherwise fails saying how
 * to install it. Runs once, from the e2e global setup.
 */
export async function ensureChromium(log: (message: string) => void): Promise<void> {
  if (existsSync(CHROMIUM_PATH)) return;
  if (process.env.CHROMIUM_PATH) throw new Error(`CHROMIUM_PATH is ${CHROMIUM_PATH}, which does not exist`);
  if (process.platform !== 'linux' || typeof process.getuid !== 'function' || process.getuid() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new Error(
      `the browser tests need Chromium at ${CHROMIUM_PATH} and it is not there. Install it (Debian/Ubuntu: sudo apt-get install -y chromium), ` +
        'or set CHROMIUM_PATH to a Chromium or Chrome binary; as root on Debian, npm test installs it itself.',
    );
  }
  log(`Chromium is not installed: installing Debian's chromium package (apt-get update && apt-get install -y chromium; a few minutes)…`);
  await run('apt-get', ['update'], log);
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], log);
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is still missing`);
  log(`Chromium installed at ${CHROMIUM_PATH}`);
}
