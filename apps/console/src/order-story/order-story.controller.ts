import { Controller, Get, Inject, Param, ParseUUIDPipe, UseGuards } from '@nestjs/common';
import { OrderStory, orderStory } from '@relay/ops';
import { ConsoleAccessGuard } from '../access/console-access.guard';
import { CONSOLE_CONFIG, ConsoleConfig } from '../config/console.config';
import { opsCall } from '../ops/ops-call';

/** One order's story: its events on the three topics, each group's progress past them, each service's rows. */
@UseGuards(ConsoleAccessGuard)
@Controller('api/orders')
export class OrderStoryController {
  constructor(@Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig) {}

  @Get(':orderId/story')
  story(@Param('orderId', new ParseUUIDPipe()) orderId: string): Promise<OrderStory> {
    return opsCall(() =>
      orderStory({
        kafkaBrokers: this.config.KAFKA_BROKERS,
        databaseUrl: this.config.DATABASE_URL,
        orderId,
        schemas: { orders: this.config.ORDERS_SCHEMA, inventory: this.config.INVENTORY_SCHEMA, delivery: this.config.DELIVERY_SCHEMA },
        groups: [this.config.ORDERS_GROUP, this.config.INVENTORY_GROUP, this.config.DELIVERY_GROUP],
      }),
    );
  }
}
