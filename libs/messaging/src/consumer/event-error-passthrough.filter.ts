import { Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * Nest's default RPC filter turns every handler error into `{ status: 'error' }`, losing the
 * error's class. The consumer's failure policy needs the original error to decide between retry
 * and dead letter, so this filter passes it through untouched.
 */
@Catch()
export class EventErrorPassthroughFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
