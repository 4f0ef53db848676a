import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { arrivedOnManagementPort } from '../http/management-port';
import { assertedIdentity } from './asserted-identity';
import { CallerIdentification } from './auth.settings';
import { Principal } from './principal';
import { bearerToken, createTokenVerifier, TokenRefusal, TokenVerifier } from './token.verifier';

/**
 * What the request's credentials proved, decided once per request before any rate limit or
 * handler. `anonymous` carries what the 401 tells the caller to send; `identified` is a verified
 * token's caller, or (HTTP_AUTH=insecure-header) an asserted one.
 */
export type Authentication = { kind: 'anonymous'; reason: string } | { kind: 'identified'; principal: Principal } | { kind: 'refused'; refusal: TokenRefusal };

/** Identifies the caller of a request from its headers: by verifying a bearer token, or by believing identity headers. */
export type CallerAuthenticator = (headers: IncomingHttpHeaders) => Authentication | Promise<Authentication>;

const authentications = new WeakMap<IncomingMessage, Authentication>();

const NO_TOKEN: Authentication = { kind: 'anonymous', reason: 'a bearer token is required (Authorization: Bearer <token>)' };
const MALFORMED_TOKEN_HEADER: Authentication = { kind: 'anonymous', reason: 'the Authorization header must be "Bearer <token>"' };

/** The request's authentication (anonymous where none was attempted, e.g. on the management port). */
export function authenticationOf(request: IncomingMessage): Authentication {
  return authentications.get(request) ?? NO_TOKEN;
}

/** The identified caller of a request, if any: what rate limits are keyed by. */
export function principalOf(request: IncomingMessage): Principal | undefined {
  const authentication = authentications.get(request);
  return authentication?.kind === 'identified' ? authentication.principal : undefined;
}

/** HTTP_AUTH=bearer: a request without an Authorization header costs nothing; a bad one is anonymous; a token is verified. */
export function bearerAuthenticator(verifier: TokenVerifier): CallerAuthenticator {
  return async (headers) => {
    const header = headers.authorization;
    if (header === undefined) return NO_TOKEN;
    const token = bearerToken(header);
    if (token === undefined) return MALFORMED_TOKEN_HEADER;
    const verification = await verifier.verify(token);
    return verification.ok ? { kind: 'identified', principal: verification.principal } : { kind: 'refused', refusal: verification.refusal };
  };
}

/**
 * The authenticator of a service's HTTP_AUTH mode: for `bearer`, a token verifier (its keys read
 * or fetched now, so a bad key stops the start); for `insecure-header`, the header reader, with one
 * warning in the log so nobody mistakes such a service for a secured one.
 */
export async function createCallerAuthenticator(identification: CallerIdentification): Promise<CallerAuthenticator> {
  if (identification.mode === 'bearer') return bearerAuthenticator(await createTokenVerifier(identification.settings));
  new Logger('HttpAuth').warn(
    `HTTP_AUTH=insecure-header: callers are NOT authenticated; any request to ${identification.host} is whoever its X-Relay-Subject / X-Relay-Roles headers say. For measurements only (bench --insecure); never expose this service.`,
  );
  return assertedIdentity;
}

/**
 * Identifies the caller of every request on the public port, in a Fastify hook: whether a route
 * needs a caller (and which role) is the AuthGuard's decision, but the caller must be known before
 * the rate limit, which is keyed by it. A refused or missing identity is remembered, and answered
 * 401 by the guard where the route needs one.
 */
export function installAuthentication(fastify: FastifyInstance, authenticate: CallerAuthenticator): void {
  fastify.addHook('onRequest', async (request: FastifyRequest) => {
    if (arrivedOnManagementPort(request.raw)) return;
    authentications.set(request.raw, await authenticate(request.headers));
  });
}
