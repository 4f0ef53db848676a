import { mkdtemp, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureSigningKey } from '@relay/local-stack';
import { createTokenVerifier, DEFAULT_TOKEN_AUDIENCE, DEFAULT_TOKEN_ISSUER } from '@relay/service-runtime';
import { Io } from '../io';
import { tokenCommand } from './token';

async function run(args: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const io: Io = { out: (line = '') => void out.push(line), err: () => undefined, env, interactive: false, ask: async () => '' };
  return { code: await tokenCommand.run(args, io), out };
}

describe('ops token', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'relay-token-'));
  });

  it('makes the key pair once, the private key readable by its owner only, and reuses it', async () => {
    const first = await ensureSigningKey(dir);
    expect((await stat(path.join(dir, 'signing-key.pem'))).mode & 0o777).toBe(0o600);
    const again = await ensureSigningKey(dir);
    expect(again.privateKey.equals(first.privateKey)).toBe(true);
  });

  it("prints only a token the services accept: a customer's, and an admin's", async () => {
    const { publicKeyFile } = await ensureSigningKey(dir);
    const verifier = await createTokenVerifier({ keys: { kind: 'public-key-file', path: publicKeyFile }, issuer: DEFAULT_TOKEN_ISSUER, audience: DEFAULT_TOKEN_AUDIENCE, clockToleranceSeconds: 0 });
    const customer = await run(['--customer', 'c-1'], { RELAY_AUTH_DIR: dir });
    expect(customer.code).toBe(0);
    expect(customer.out).toHaveLength(1);
    expect(await verifier.verify(customer.out[0])).toEqual({ ok: true, principal: { subject: 'c-1', roles: [] } });
    const admin = await run(['--role', 'admin', '--ttl', '5m'], { RELAY_AUTH_DIR: dir });
    expect(await verifier.verify(admin.out[0])).toEqual({ ok: true, principal: { subject: 'ops', roles: ['admin'] } });
    const payload = JSON.parse(Buffer.from(admin.out[0].split('.')[1], 'base64url').toString()) as { iat: number; exp: number };
    expect(payload.exp - payload.iat).toBe(300);
  });

  it('refuses a usage without exactly one of --customer and --role, an unknown role and a bad ttl', async () => {
    await expect(run([], { RELAY_AUTH_DIR: dir })).rejects.toThrow(/either --customer <id> or --role admin/);
    await expect(run(['--customer', 'c-1', '--role', 'admin'], { RELAY_AUTH_DIR: dir })).rejects.toThrow(/either/);
    await expect(run(['--role', 'root'], { RELAY_AUTH_DIR: dir })).rejects.toThrow(/only role is "admin"/);
    await expect(run(['--customer', 'c-1', '--ttl', 'forever'], { RELAY_AUTH_DIR: dir })).rejects.toThrow(/--ttl must be/);
  });

  it('says to run npm start when there is no key yet', async () => {
    await expect(run(['--customer', 'c-1'], { RELAY_AUTH_DIR: path.join(dir, 'none') })).rejects.toThrow(/run `npm start` once/);
  });
});
