import { DynamicModule, Module } from '@nestjs/common';
import { OUTBOX_RELAY_OPTIONS } from '../messaging.tokens';
import { OutboxRelayModuleOptions } from './outbox-relay.options';
import { OutboxRelayService } from './outbox-relay.service';

/** Runs the outbox relay inside a service: it starts with the app and drains before the app stops. */
@Module({})
export class OutboxRelayModule {
  static forRoot(options: OutboxRelayModuleOptions): DynamicModule {
    return {
      module: OutboxRelayModule,
      providers: [{ provide: OUTBOX_RELAY_OPTIONS, useValue: options }, OutboxRelayService],
      exports: [OutboxRelayService],
    };
  }
}
