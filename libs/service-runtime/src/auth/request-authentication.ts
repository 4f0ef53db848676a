import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { arrivedOnManagementPort } from '../http/management-port';
import { Principal } from './principal';
import { bearerToken, TokenRefusal, TokenVerifier } from './token.verifier';

/** What the request's credentials proved, decided once per request before any rate limit or handler. */
export type Authentication = { kind: 'anonymous'; malformedHeader: boolean } | { kind: 'verified'; principal: Principal } | { kind: 'refused'; refusal: TokenRefusal };

const authentications = new WeakMap<IncomingMessage, Authentication>();

const ANONYMOUS: Authentication = { kind: 'anonymous', malformedHeader: false };

/** The request's authentication (anonymous where none was attempted, e.g. on the management port). */
export function authenticationOf(request: IncomingMessage): Authentication {
  return authentications.get(request) ?? ANONYMOUS;
}

/** The verified caller of a request, if any: what rate limits are keyed by. */
export function principalOf(request: IncomingMessage): Principal | undefined {
  const authentication = authentications.get(request);
  return authentication?.kind === 'verified' ? authentication.principal : undefined;
}

/**
 * Verifies the bearer token of every request on the public port, in a Fastify hook: whether a
 * route needs one (and which role) is the AuthGuard's decision, but the caller's identity must be
 * known before the rate limit, which is keyed by it. A request without an Authorization header
 * costs nothing here; a bad one is remembered as refused, and answered 401 by the guard.
 */
export function installAuthentication(fastify: FastifyInstance, verifier: TokenVerifier): void {
  fastify.addHook('onRequest', async (request: FastifyRequest) => {
    if (arrivedOnManagementPort(request.raw)) return;
    const header = request.headers.authorization;
    if (header === undefined) return;
    const token = bearerToken(header);
    if (token === undefined) {
      authentications.set(request.raw, { kind: 'anonymous', malformedHeader: true });
      return;
    }
    const verification = await verifier.verify(token);
    authentications.set(request.raw, verification.ok ? { kind: 'verified', principal: verification.principal } : { kind: 'refused', refusal: verification.refusal });
  });
}
