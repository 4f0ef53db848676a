import { KafkaDriver } from './driver/kafka-driver';
import { createKafka, KafkaSettings } from './kafka-settings';
import { KafkajsDriver } from './kafkajs/kafkajs.driver';
import { PlatformaticDriver } from './platformatic/platformatic.driver';
import { ensureTopics } from './topic-provisioner';

/** The driver KAFKA_CLIENT names (`settings.client`), kafkajs unless it says otherwise. */
export function createKafkaDriver(settings: KafkaSettings): KafkaDriver {
  switch (settings.client ?? 'kafkajs') {
    case 'kafkajs':
      return new KafkajsDriver(settings);
    case 'platformatic': {
      // Topics are still created with kafkajs's admin client: the port's admin half is not ported yet.
      const admin = createKafka(settings, '-admin');
      return new PlatformaticDriver(settings, (topics) => ensureTopics(admin, topics));
    }
  }
}
