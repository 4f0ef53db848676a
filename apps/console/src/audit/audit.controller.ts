import { Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ADMIN_ROLE, RequireRole } from '@relay/service-runtime';
import { AuditReport, runAudit } from '@relay/ops';
import { CONSOLE_CONFIG, ConsoleConfig } from '../config/console.config';
import { opsCall } from '../ops/ops-call';

/**
 * The reconciliation audit (`npm run ops -- audit`), run from the page: read-only, but it reads
 * every topic and a database snapshot, so it is a POST an operator asks for, never a poll.
 */
// Operators only: the console reads every customer's orders and can replay and purge.
@RequireRole(ADMIN_ROLE)
@Controller('api/audit')
export class AuditController {
  constructor(@Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig) {}

  @Post()
  @HttpCode(200)
  run(): Promise<AuditReport> {
    return opsCall(() =>
      runAudit({
        kafkaBrokers: this.config.KAFKA_BROKERS,
        databaseUrl: this.config.DATABASE_URL,
        ordersSchema: this.config.ORDERS_SCHEMA,
        ordersGroup: this.config.ORDERS_GROUP,
        inventory: { schema: this.config.INVENTORY_SCHEMA, group: this.config.INVENTORY_GROUP },
        delivery: { schema: this.config.DELIVERY_SCHEMA, group: this.config.DELIVERY_GROUP },
        sharedTopic: this.config.CONSOLE_AUDIT_SHARED_TOPICS,
      }),
    );
  }
}
