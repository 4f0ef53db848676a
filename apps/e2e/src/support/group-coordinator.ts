import { Kafka, KafkaConfig, logLevel } from 'kafkajs';

// No path aliases in this file: the global setup loads it, outside Jest's module registry.

/**
 * Waits until the broker can coordinate consumer groups. On a fresh broker the first FindCoordinator
 * request creates `__consumer_offsets`, and until it is loaded group joins fail; under load that can
 * take long enough for an app's consumer to give up at boot. globalSetup calls this once, so every
 * test file starts with a broker in its steady state.
 */
export async function waitForGroupCoordinator(brokers: string, security: Pick<KafkaConfig, 'ssl' | 'sasl'>, timeoutMs = 60_000): Promise<void> {
  const kafka = new Kafka({ clientId: 'e2e-warm-up', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 0 }, ...security });
  const admin = kafka.admin();
  const deadline = Date.now() + timeoutMs;
  try {
    await admin.connect();
    for (;;) {
      try {
        await admin.describeGroups(['relay-e2e-warm-up']);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`Kafka at ${brokers} could not coordinate consumer groups within ${timeoutMs} ms: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
