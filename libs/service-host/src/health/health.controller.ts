import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ConsumerStats } from '@relay/messaging';
import { Public } from '@relay/service-runtime';
import { ShutdownState } from './shutdown-state';

export const DATABASE_PING_TIMEOUT_MS = 1_000;

/**
 * Liveness: the process answers. Readiness: the database answers within a second, the event
 * consumer (if the service has one) has joined its group since the process started, and the
 * service is not shutting down. Probes never wait on a slow dependency for longer than the ping
 * timeout.
 *
 * A Kafka outage after start-up does not make a service unready: orders must keep taking orders
 * (the outbox holds their events) and the others keep serving reads; their consumers reconnect on
 * their own, and `consumer.inGroup` in the body says whether they are in their group right now.
 */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly shutdown: ShutdownState,
    @Optional() @Inject(ConsumerStats) private readonly consumer?: ConsumerStats,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      async () => {
        const session = this.indicators.check('lifecycle');
        return this.shutdown.shuttingDown ? session.down({ message: 'shutting down' }) : session.up();
      },
      () => this.database.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS }),
      ...(this.consumer
        ? [
            async () => {
              const session = this.indicators.check('consumer');
              const inGroup = this.consumer!.joined;
              return this.consumer!.joinedOnce ? session.up({ inGroup }) : session.down({ message: 'not in its consumer group yet', inGroup });
            },
          ]
        : []),
    ]);
  }
}
