import {
  CanActivate,
  createParamDecorator,
  CustomDecorator,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  SetMetadata,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { arrivedOnManagementPort } from '../http/management-port';
import { authenticationOf } from './request-authentication';
import { Principal } from './principal';

const PUBLIC_ROUTE = 'relay:auth:public';
const REQUIRED_ROLE = 'relay:auth:role';

/** The route needs no token (health probes: the kubelet and load balancers carry none). */
export const Public = (): CustomDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** The route needs a token with this role (403 otherwise); on a class, every route of it. */
export const RequireRole = (role: string): CustomDecorator => SetMetadata(REQUIRED_ROLE, role);

interface HttpRequest {
  raw: IncomingMessage;
}

/** The identified caller, as a handler parameter. Only on routes the guard protects. */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const authentication = authenticationOf(context.switchToHttp().getRequest<HttpRequest>().raw);
  if (authentication.kind !== 'identified') throw new Error('@Caller() on a route without authentication (is it @Public()?)');
  return authentication.principal;
});

/**
 * Secure by default: every route on the public port needs an identified caller (a verified bearer
 * token; with HTTP_AUTH=insecure-header, identity headers) unless it is marked @Public(), and the
 * role @RequireRole() names. 401 (with WWW-Authenticate, set by the exception filter) when the
 * identity is missing or refused; 403 when it lacks the role. Requests on
 * the management port pass: that port is bound to 127.0.0.1 or a network only monitoring reaches,
 * and serves only metrics, docs, consumer status and health (see management-port.ts).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<HttpRequest>().raw;
    if (arrivedOnManagementPort(request)) return true;
    const authentication = authenticationOf(request);
    if (authentication.kind === 'anonymous') {
      throw new UnauthorizedException({
        code: 'AUTH.TOKEN_MISSING',
        message: authentication.reason,
      });
    }
    if (authentication.kind === 'refused') {
      const { code, reason } = authentication.refusal;
      if (code === 'AUTH.KEYS_UNAVAILABLE') throw new ServiceUnavailableException({ code, message: `${reason}; retry shortly` });
      throw new UnauthorizedException({ code, message: reason });
    }
    const role = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_ROLE, targets);
    if (role !== undefined && !authentication.principal.roles.includes(role)) {
      throw new ForbiddenException({ code: 'AUTH.FORBIDDEN', message: `this needs the "${role}" role` });
    }
    return true;
  }
}
