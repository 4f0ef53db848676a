/**
 * The Node.js flags every service process runs with, whoever starts it: `npm start`, the tests
 * (startAppProcess), the bench (tools/bench), the image (docker/Dockerfile CMD) and `nx serve`.
 * Specs keep the Dockerfile and the apps' serve targets equal to this list
 * (deploy/docker/compose.spec.ts, ./node-flags.spec.ts), and the Kubernetes memory limits above
 * the memory they allow (deploy/kubernetes/manifests.spec.ts).
 *
 * They hold a service under 200 MB resident under load (docs/performance.md, "Memory"). Measured
 * (`npm run bench -- --quick --only memory`, orders): resident memory is about 50 MB of the node
 * binary's mapped code, 20 to 35 MB of native memory outside the V8 heap, and the heap; the live
 * heap is only 40 to 60 MB, but with Node's defaults (a 4 GB heap limit) V8 let garbage pile up to
 * 150 to 200 MB of heap before collecting it.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = [
  // Old generation at most 128 MB: V8 collects before the heap grows past about 80 MB under load,
  // twice the live set, instead of at hundreds of MB. The price is more full collections: about
  // 10 % more CPU per order in orders. A hard limit: a live heap above it crashes the process
  // (JavaScript heap out of memory), as the container's memory limit would.
  '--max-old-space-size=128',
  // Young generation of 2 x 8 MB instead of Node's 2 x 16. On Node 24 a service is about 200 MB
  // resident at idle (the binary's mapped code about 60 MB, the program's code and source about
  // 40 MB of heap), so the 16 MB this saves is what keeps inventory and delivery under 200 MB under
  // load. Measured side by side (`npm run bench -- --quick --only rest --node-flags=…`, 2026-12-07):
  // peak RSS 15 to 20 MB lower in every service, CPU per order in orders within the runs' noise
  // (-6 % and +6 % in two pairs; on Node 20 it had cost about 10 %).
  '--max-semi-space-size=8',
  // No --enable-source-maps: measured on Node 20, it parses every loaded module's source map at start-up
  // (TypeORM's alone are 5 MB of JSON), about 10 MB of heap for stack traces in TypeScript terms.
  // Add it when you need them: NODE_OPTIONS=--enable-source-maps.
  '--disable-warning=TimeoutNegativeWarning',
  // kafkajs 2.2.4 (requestQueue/index.js, scheduleCheckPendingRequests) arms a timer for
  // `throttledUntil - Date.now()` before any throttling, a large negative number that Node clamps
  // to 1 ms: harmless, but since Node 24 every client's first request prints a warning, i.e. each
  // service at every start. Only that warning type is silenced; drop this with kafkajs (issue 12).
];

/**
 * The environment every service process gets besides its configuration, from the same launchers
 * as SERVICE_NODE_FLAGS (the image sets it with ENV, the serve targets before `node`; specs keep
 * both equal to this).
 */
export const SERVICE_PROCESS_ENV: Readonly<Record<string, string>> = {
  // glibc's malloc serves blocks of 32 kB and more from mappings of their own, given back to the
  // system when freed, instead of from its heaps, where freed blocks stay resident (its threshold
  // starts at 128 kB and rises to 32 MB as large blocks are freed). Under load a service's native
  // memory outside the V8 heap grew by 30 MB, most of it such blocks (V8's compiler zones, socket
  // reads). Measured (`npm run bench -- --quick --only memory --service-env MALLOC_MMAP_THRESHOLD_=32768`,
  // two runs each, 2026-12-08): peak RSS about 10 MB lower in every service, CPU per order the same
  // within the runs' noise. Other allocators (musl) ignore it.
  MALLOC_MMAP_THRESHOLD_: '32768',
};

/** The `K=V` assignments before `node` in a shell command line (`K=V node …`). */
export function envAssignmentsIn(commandLine: string): Record<string, string> {
  const assignments: Record<string, string> = {};
  const words = commandLine.trim().split(/\s+/);
  const node = words.indexOf('node');
  for (const word of words.slice(0, Math.max(node, 0))) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(word);
    if (match) assignments[match[1]] = match[2];
  }
  return assignments;
}

/** The old-generation limit in SERVICE_NODE_FLAGS, in MB. */
export function maxOldSpaceMb(flags: readonly string[] = SERVICE_NODE_FLAGS): number | undefined {
  return flagValue(flags, '--max-old-space-size');
}

/** The semi-space size in SERVICE_NODE_FLAGS, in MB (the young generation is two of them). */
export function maxSemiSpaceMb(flags: readonly string[] = SERVICE_NODE_FLAGS): number | undefined {
  return flagValue(flags, '--max-semi-space-size');
}

function flagValue(flags: readonly string[], name: string): number | undefined {
  const flag = [...flags].reverse().find((candidate) => candidate.startsWith(`${name}=`));
  return flag === undefined ? undefined : Number(flag.slice(name.length + 1));
}

/**
 * The flags in a shell command line that runs `node`: every argument between `node` and the
 * script (`exec node --a --b dist/apps/x/src/main.js` gives `['--a', '--b']`).
 */
export function nodeFlagsIn(commandLine: string): string[] | undefined {
  const words = commandLine.trim().split(/\s+/);
  const node = words.indexOf('node');
  if (node < 0) return undefined;
  const flags: string[] = [];
  for (const word of words.slice(node + 1)) {
    if (!word.startsWith('-')) return flags;
    flags.push(word);
  }
  return flags;
}
