import type { IncomingHttpHeaders } from 'node:http';
import type { Authentication } from './request-authentication';

/** HTTP_AUTH=insecure-header: the caller's subject (a customer id, or an operator's name), as a token's `sub`. */
export const SUBJECT_HEADER = 'x-relay-subject';
/** HTTP_AUTH=insecure-header: the caller's roles, comma-separated (`admin`), as a token's `roles` claim; absent: none (a customer). */
export const ROLES_HEADER = 'x-relay-roles';

/** Visible ASCII, no spaces or commas: what a customer id or a role name looks like, and nothing a log line could be forged with. */
const SUBJECT = /^[\x21-\x2b\x2d-\x7e]{1,256}$/;
const ROLE = /^[A-Za-z0-9._:-]{1,64}$/;

const MODE = 'HTTP_AUTH=insecure-header';

/**
 * The caller as its headers assert it, believed without any check: `X-Relay-Subject: c-42` is
 * customer c-42, `X-Relay-Roles: admin` makes it an operator. A missing or malformed header is
 * anonymous, which the AuthGuard answers 401 exactly as a missing token, so everything after this
 * step (roles, customer scoping, the rate limit keyed by principal) works on the asserted caller
 * as it does on a verified one. Only for HTTP_AUTH=insecure-header, which starts on loopback only.
 */
export function assertedIdentity(headers: IncomingHttpHeaders): Authentication {
  const subject = headers[SUBJECT_HEADER];
  if (subject === undefined) return { kind: 'anonymous', reason: `an X-Relay-Subject header is required (${MODE}: the caller is whoever it says it is)` };
  if (typeof subject !== 'string' || !SUBJECT.test(subject)) {
    return { kind: 'anonymous', reason: 'the X-Relay-Subject header must be one value of 1-256 visible characters, without spaces or commas' };
  }
  const rolesHeader = headers[ROLES_HEADER];
  if (rolesHeader === undefined) return { kind: 'identified', principal: { subject, roles: [] } };
  const roles = typeof rolesHeader === 'string' ? rolesHeader.split(',').map((role) => role.trim()) : [];
  if (roles.length === 0 || !roles.every((role) => ROLE.test(role))) {
    return { kind: 'anonymous', reason: 'the X-Relay-Roles header must be a comma-separated list of role names, e.g. "admin"' };
  }
  return { kind: 'identified', principal: { subject, roles } };
}
