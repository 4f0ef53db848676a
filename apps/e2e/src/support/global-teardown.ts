/** Stops the Kafka / PostgreSQL that globalSetup started (nothing when they were given by env vars). */
export default async function globalTeardown(): Promise<void> {
  const infrastructure = globalThis.__relayE2eInfrastructure;
  globalThis.__relayE2eInfrastructure = undefined;
  await infrastructure?.stop();
}
