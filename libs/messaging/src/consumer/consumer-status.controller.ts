import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { KafkaDriver, PartitionLag } from '../kafka/driver/kafka-driver';
import { ConsumerStats } from './consumer-stats';
import { CONSUMER_GROUP, CONSUMER_TOPICS, KAFKA_DRIVER } from '../messaging.tokens';

export interface ConsumerStatusResponse {
  group: string;
  /** What this instance did since it started. */
  counters: ReturnType<ConsumerStats['snapshot']>;
  /** The partitions this instance owns now, per topic. */
  assignment: Record<string, number[]>;
  /** The whole group's position per partition (all instances). */
  partitions: PartitionLag[];
  totalLag: string;
}

@ApiTags('consumer')
@ApiOkResponse({ description: 'This instance\'s counters and the group\'s committed offsets and lag per partition.' })
@Controller('consumer')
export class ConsumerStatusController {
  constructor(
    private readonly stats: ConsumerStats,
    @Inject(KAFKA_DRIVER) private readonly driver: KafkaDriver,
    @Inject(CONSUMER_GROUP) private readonly group: string,
    @Inject(CONSUMER_TOPICS) private readonly topics: string[],
  ) {}

  @Get()
  async status(): Promise<ConsumerStatusResponse> {
    const partitions = await this.driver.groupLag(this.group, this.topics);
    const totalLag = partitions.reduce((sum, p) => sum + BigInt(p.lag), 0n).toString();
    return { group: this.group, counters: this.stats.snapshot(), assignment: this.stats.assignment, partitions, totalLag };
  }
}
