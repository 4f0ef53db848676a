/** Stops the Kafka / PostgreSQL that globalSetup started (nothing when they were given by env vars). */
export default async function globalTeardown(): Promise<void> {
  const infrastructure = globalThis.__relayE2eInfrastructure;
  globalThis.__relayE2eInfrastructure = undefined;
  if (!infrastructure) return;
  const started = Date.now();
  await infrastructure.stop();
  process.stderr.write(`[e2e] stopped the infrastructure in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
