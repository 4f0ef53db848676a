/**
 * `npm run seed`: loads the demo catalogue into a running inventory service through its API
 * (`PUT /stock/:sku`), never through migrations. Existing stock is left alone unless --reset.
 * INVENTORY_URL (default http://127.0.0.1:<inventory's default port>) says where inventory runs. Setting stock needs an
 * admin token: RELAY_TOKEN if set, else one minted with the local signing key `npm start` made.
 */
import { parseArgs } from 'node:util';
import { ADMIN_ROLE } from '@relay/service-runtime';
import { say } from './console-output';
import { requireSupportedNode } from './node-runtime';
import { DEFAULT_PORTS } from './repo-paths';
import { mintToken, readLocalSigningKey } from './signing-key';

export const DEMO_CATALOGUE: Record<string, number> = { 'SKU-1': 1_000, 'SKU-2': 1_000, 'SKU-3': 1_000, 'SKU-4': 1_000, 'SKU-5': 1_000 };

/** Sets stock for each SKU of the catalogue that has none (or every SKU with `reset`), with an admin `token`; returns what it set. */
export async function seedDemoCatalogue(inventoryUrl: string, options: { token: string; reset?: boolean }): Promise<string[]> {
  const seeded: string[] = [];
  const authorization = `Bearer ${options.token}`;
  for (const [sku, onHand] of Object.entries(DEMO_CATALOGUE)) {
    if (!options.reset) {
      const current = await fetch(`${inventoryUrl}/stock/${sku}`, { headers: { authorization } });
      if (current.status !== 404) continue;
    }
    const response = await fetch(`${inventoryUrl}/stock/${sku}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ onHand }),
    });
    if (!response.ok) throw new Error(`seeding ${sku} failed: ${response.status} ${await response.text()}`);
    seeded.push(sku);
  }
  return seeded;
}

async function main(): Promise<void> {
  requireSupportedNode();
  const { values } = parseArgs({ options: { reset: { type: 'boolean', default: false } }, strict: true });
  const inventoryUrl = process.env.INVENTORY_URL ?? `http://127.0.0.1:${DEFAULT_PORTS.inventory}`;
  if (!/^https?:\/\/\S+$/.test(inventoryUrl)) throw new Error(`INVENTORY_URL must be an http(s) URL, got "${inventoryUrl}"`);
  const token = process.env.RELAY_TOKEN || (await mintToken(await readLocalSigningKey(), { subject: 'seed', roles: [ADMIN_ROLE], ttlSeconds: 300 }));
  const seeded = await seedDemoCatalogue(inventoryUrl, { token, reset: values.reset });
  say('relay', seeded.length > 0 ? `seeded ${seeded.join(', ')} at ${inventoryUrl}` : `the demo catalogue is already stocked at ${inventoryUrl} (--reset to set it again)`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    say('error', error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
