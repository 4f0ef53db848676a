import { SERVICES } from './repo-paths';

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;

/** Terminal colours for the services' lines, given in the topology's order (cyan, magenta, yellow, blue, …). */
const SERVICE_PALETTE = ['36', '35', '33', '34', '96', '95', '93', '94'];

const colors: Record<string, string> = {
  ...Object.fromEntries(SERVICES.map((service, index) => [service, SERVICE_PALETTE[index % SERVICE_PALETTE.length]])),
  relay: '32',
  error: '31',
};

export function paint(text: string, tag: string): string {
  return useColor ? `\u001b[${colors[tag] ?? '0'}m${text}\u001b[0m` : text;
}

/** One line of the combined terminal output, tagged with where it came from. */
export function say(tag: string, message: string): void {
  process.stdout.write(`${paint(`[${tag}]`.padEnd(13), tag.split('#')[0])} ${message}\n`);
}

export function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
