import { DynamicModule, Module } from '@nestjs/common';
import { ObservabilityModule } from '@relay/service-runtime';
import { AuditController } from './audit/audit.controller';
import { CONSOLE_CONFIG, ConsoleConfig } from './config/console.config';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { LiveController } from './live/live.controller';
import { LiveStateService } from './live/live-state.service';
import { OrderStoryController } from './order-story/order-story.controller';
import { PageController } from './page/page.controller';

/**
 * The operations console: a JSON API over the ops library plus a live stream, and the static page
 * (public/) that shows them. No database or Kafka client of its own: every read and action goes
 * through @relay/ops, the code behind `npm run ops`.
 */
@Module({})
export class ConsoleModule {
  static forRoot(config: ConsoleConfig): DynamicModule {
    return {
      module: ConsoleModule,
      // Every request is logged: an operator's replay or purge leaves a line, and the console's
      // traffic is a few people, not a service's load.
      imports: [ObservabilityModule.forRoot({ service: 'console', level: config.LOG_LEVEL, format: config.LOG_FORMAT, requests: 'all', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT })],
      controllers: [PageController, LiveController, DeadLettersController, AuditController, OrderStoryController],
      providers: [{ provide: CONSOLE_CONFIG, useValue: config }, LiveStateService],
    };
  }
}
