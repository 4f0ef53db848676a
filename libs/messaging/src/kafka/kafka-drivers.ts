import { KAFKA_CLIENTS } from '@relay/service-runtime';
import { KafkaDriver } from './driver/kafka-driver';
import { KafkaSettings } from './kafka-settings';
import { createKafka } from './kafkajs/kafkajs-client';
import { ensureTopics } from './kafkajs/kafkajs-topic-provisioner';
import { KafkajsDriver } from './kafkajs/kafkajs.driver';
import { PlatformaticDriver } from './platformatic/platformatic.driver';

/** The driver KAFKA_CLIENT names (`settings.client`), the default client (KAFKA_CLIENTS[0]) unless it says otherwise. */
export function createKafkaDriver(settings: KafkaSettings): KafkaDriver {
  switch (settings.client ?? KAFKA_CLIENTS[0]) {
    case 'kafkajs':
      return new KafkajsDriver(settings);
    case 'platformatic': {
      // Topics are created by the kafkajs adapter's provisioner, the one implementation of its checks (dead-letter retention, min ISR, partitions and replicas kept).
      const admin = createKafka(settings, '-admin');
      return new PlatformaticDriver(settings, (topics) => ensureTopics(admin, topics));
    }
  }
}
