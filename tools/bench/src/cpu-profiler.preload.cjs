'use strict';
/*
 * Preloaded into a service by `npm run bench -- --profile <service>` (NODE_OPTIONS=--require this
 * file). The service is not otherwise changed. SIGUSR2 toggles V8's sampling profiler: the first
 * starts it, the second stops it and writes <RELAY_BENCH_CPU_PROFILE_DIR>/<pid>-<n>.cpuprofile
 * (Chrome DevTools format). A signal-driven window is used instead of `node --cpu-prof` because the
 * services re-raise SIGTERM after their graceful shutdown, and --cpu-prof writes nothing for a
 * process that dies by a signal.
 */
const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');

const dir = process.env.RELAY_BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  const intervalUs = Number(process.env.RELAY_BENCH_CPU_PROFILE_INTERVAL_US || 1000);
  let running = false;
  let sequence = 0;
  session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: intervalUs }));
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.start');
      return;
    }
    running = false;
    sequence += 1;
    const file = path.join(dir, `${process.pid}-${sequence}.cpuprofile`);
    session.post('Profiler.stop', (error, result) => {
      if (error) {
        process.stderr.write(`cpu profiler: ${error.message}\n`);
        return;
      }
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(`${file}.partial`, JSON.stringify(result.profile));
      fs.renameSync(`${file}.partial`, file);
    });
  });
}
