export default async function globalTeardown(): Promise<void> {
  const infrastructure = globalThis.__relayInfrastructure;
  globalThis.__relayInfrastructure = undefined;
  await infrastructure?.stop();
}
