import { Controller, Get, MessageEvent, ServiceUnavailableException, Sse } from '@nestjs/common';
import { ADMIN_ROLE, RequireRole } from '@relay/service-runtime';
import { Observable, map } from 'rxjs';
import { LiveSnapshot } from './live-snapshot';
import { LiveStateService } from './live-state.service';

/** The flow and lag views' data: the latest sample, and a stream of every new one (SSE). */
// Operators only: the console reads every customer's orders and can replay and purge.
@RequireRole(ADMIN_ROLE)
@Controller('api/live')
export class LiveController {
  constructor(private readonly live: LiveStateService) {}

  @Get()
  snapshot(): LiveSnapshot {
    const current = this.live.current();
    if (!current) throw new ServiceUnavailableException({ code: 'CONSOLE.NOT_SAMPLED_YET', message: 'the first measurement is still running; retry in a moment' });
    return current;
  }

  @Sse('stream')
  stream(): Observable<MessageEvent> {
    return this.live.snapshots().pipe(map((snapshot) => ({ type: 'snapshot', data: snapshot })));
  }
}
