import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';

/**
 * SEAM — who may use the console. Every /api route passes through this guard; the page sends the
 * operator's token as `Authorization: Bearer <token>` on every call (the live stream included: it
 * is read with fetch, not EventSource, so that it can carry the header).
 *
 * Today (main) Relay has no token verifier, so the guard admits every request: the console binds
 * to 127.0.0.1 (see main.ts) and is as open as `npm run ops`, which it wraps. When the HTTP-auth
 * work (issue 13) is merged, this class is replaced by that branch's AuthGuard with
 * @RequireRole(ADMIN_ROLE) on the API controllers (libs/service-runtime/src/auth): 401 without a
 * token, 403 without the admin role. The page's token box already stores the token it needs.
 */
@Injectable()
export class ConsoleAccessGuard implements CanActivate {
  canActivate(_context: ExecutionContext): boolean {
    return true;
  }
}
