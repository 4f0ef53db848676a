import { Controller, Get, Inject, Param, ParseUUIDPipe } from '@nestjs/common';
import { ADMIN_ROLE, RequireRole } from '@relay/service-runtime';
import { OrderStory, orderStory } from '@relay/ops';
import { CONSOLE_CONFIG, ConsoleConfig } from '../config/console.config';
import { opsCall } from '../ops/ops-call';

/** One order's story: its events on the three topics, each group's progress past them, each service's rows. */
// Operators only: the console reads every customer's orders and can replay and purge.
@RequireRole(ADMIN_ROLE)
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
