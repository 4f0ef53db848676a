import { ADMIN_ROLE } from '@relay/service-runtime';
import { DEFAULT_TOKEN_TTL_SECONDS, mintToken, readLocalSigningKey } from '@relay/local-stack';
import { parseCommandArgs, stringValue } from '../args';
import { Command } from '../command';
import { OpsError, UsageError } from '../errors';

const MAX_TTL_SECONDS = 7 * 24 * 3_600;

/** `30m`, `2h`, `1d` or plain seconds. */
export function parseTtl(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * { '': 1, s: 1, m: 60, h: 3_600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'] : NaN;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TTL_SECONDS) {
    throw new UsageError(`token: --ttl must be a duration from 1s to 7d, like 900, 30m, 2h or 1d; got "${value}"`);
  }
  return seconds;
}

export const tokenCommand: Command = {
  name: 'token',
  summary: "mint a bearer token for the local stack (a customer's, or an admin's)",
  help: `Usage: npm run ops -- token (--customer <id> | --role admin [--subject <name>]) [--ttl 1h]

Prints a bearer JWT and nothing else, signed with the key \`npm start\` made
(.relay/auth/signing-key.pem), with the issuer and audience the local services expect:

  TOKEN=$(npm run -s ops -- token --customer c-1)
  curl 127.0.0.1:3000/orders -H "authorization: Bearer $TOKEN"

Options:
  --customer <id>    a customer's token: sub = <id>; it sees and places only its own orders
  --role admin       an operator's token (roles ["admin"]): every order, PUT /stock, reservations, deliveries
  --subject <name>   the admin token's subject (default "ops")
  --ttl <duration>   lifetime: seconds or 30m, 2h, 1d (default 1h, at most 7d)
  -h, --help

For local use only: a deployment's tokens come from its identity provider (AUTH_JWKS_URL).`,
  async run(args, io) {
    const { values } = parseCommandArgs('token', args, { customer: { type: 'string' }, role: { type: 'string' }, subject: { type: 'string' }, ttl: { type: 'string' } }, { min: 0, max: 0, names: '' });
    if (values.help) {
      io.out(this.help);
      return 0;
    }
    const customer = stringValue(values, 'customer');
    const role = stringValue(values, 'role');
    const subject = stringValue(values, 'subject');
    if ((customer === undefined) === (role === undefined)) throw new UsageError('token: give either --customer <id> or --role admin. See `npm run ops -- token --help`.');
    if (role !== undefined && role !== ADMIN_ROLE) throw new UsageError(`token: the only role is "${ADMIN_ROLE}", got "${role}"`);
    if (customer !== undefined && subject !== undefined) throw new UsageError('token: --subject is for an admin token; a customer token\'s subject is --customer');
    if (customer !== undefined && !/^\S{1,100}$/.test(customer)) throw new UsageError('token: --customer must be 1-100 characters without spaces');
    const ttlValue = stringValue(values, 'ttl');
    const ttlSeconds = ttlValue === undefined ? DEFAULT_TOKEN_TTL_SECONDS : parseTtl(ttlValue);
    let key;
    try {
      key = await readLocalSigningKey(io.env.RELAY_AUTH_DIR || undefined);
    } catch (error) {
      throw new OpsError((error as Error).message);
    }
    io.out(await mintToken(key, customer !== undefined ? { subject: customer, ttlSeconds } : { subject: subject ?? 'ops', roles: [ADMIN_ROLE], ttlSeconds }));
    return 0;
  },
};
