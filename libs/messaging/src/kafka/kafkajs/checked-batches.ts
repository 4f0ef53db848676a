import { Kafka, Partitioners, Producer, ProducerBatch, ProducerConfig, RecordMetadata } from 'kafkajs';

/** A batch kafkajs reported as sent although no broker acknowledged some of its partitions. */
export class UnacknowledgedPartitionsError extends Error {
  constructor(readonly partitions: readonly string[]) {
    super(
      `kafkajs reported the batch as sent, but no broker acknowledged ${partitions.join(', ')} ` +
        '(a partition leader moved during the send: tulios/kafkajs#1303); the batch must be sent again',
    );
    this.name = 'UnacknowledgedPartitionsError';
  }
}

/**
 * A Kafka client like `kafka` whose producers check every `sendBatch`: each partition the batch's
 * messages were assigned to must be in the brokers' acknowledgements, else the call throws
 * UnacknowledgedPartitionsError instead of resolving (the caller then sends the whole batch again;
 * consumers drop the copies of what had been written).
 *
 * Why: kafkajs 2.2.4 retries a batch spread over several brokers by resending only to brokers that
 * have not answered yet. When a broker dies mid-send and its partitions move to a broker that had
 * already answered for its own, the retry sends them nowhere and the batch resolves as sent: those
 * messages are lost (tulios/kafkajs#1303; a fix, #1798, is unreleased). An idempotent producer must
 * allow retries, so they cannot simply be turned off. Fault scenario 11
 * (apps/e2e/src/faults/cluster.e2e-spec.ts) lost an order's event that way without this check.
 *
 * Meant for a producer that sends one batch at a time (the outbox relay's): the partitions
 * assigned are recorded per call, from the partitioner kafkajs calls on every attempt.
 */
export function withCheckedBatches(kafka: Kafka): Kafka {
  const checked = Object.create(kafka) as Kafka;
  checked.producer = (config: ProducerConfig = {}): Producer => {
    const inFlight = new Set<Set<string>>();
    const createPartitioner = config.createPartitioner ?? Partitioners.DefaultPartitioner;
    const producer = kafka.producer({
      ...config,
      createPartitioner: () => {
        const partition = createPartitioner();
        return (args) => {
          const chosen = partition(args);
          for (const assigned of inFlight) assigned.add(`${args.topic}[${chosen}]`);
          return chosen;
        };
      },
    });
    const sendBatch = producer.sendBatch.bind(producer);
    producer.sendBatch = async (batch: ProducerBatch): Promise<RecordMetadata[]> => {
      const assigned = new Set<string>();
      inFlight.add(assigned);
      try {
        const acknowledged = await sendBatch(batch);
        const seen = new Set(acknowledged.map((record) => `${record.topicName}[${record.partition}]`));
        const missing = [...assigned].filter((partition) => !seen.has(partition)).sort();
        if (missing.length > 0) throw new UnacknowledgedPartitionsError(missing);
        return acknowledged;
      } finally {
        inFlight.delete(assigned);
      }
    };
    return producer;
  };
  return checked;
}
