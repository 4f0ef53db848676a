import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as LocalStack from '@relay/local-stack';

const REPO_ROOT = path.resolve(__dirname, '../../../..');

/** Where tsconfig.base.json maps a path alias, e.g. `@relay/local-stack` → tools/local-stack/src/index.ts. */
function aliasTarget(alias: string): string {
  const tsconfig = JSON.parse(readFileSync(path.join(REPO_ROOT, 'tsconfig.base.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  const target = tsconfig.compilerOptions.paths[alias]?.[0];
  if (target === undefined) throw new Error(`tsconfig.base.json has no path alias ${alias}`);
  return path.join(REPO_ROOT, target);
}

/**
 * Jest runs globalSetup/globalTeardown outside its module registry: the path aliases (moduleNameMapper)
 * do not apply there, only its transform does. So the local-stack sources are loaded by file path,
 * taken from the same tsconfig alias, and compiled by Jest's transform like any test file. (Test files
 * themselves import `@relay/local-stack` normally.)
 */
export async function loadLocalStack(): Promise<typeof LocalStack> {
  return (await import(aliasTarget('@relay/local-stack'))) as typeof LocalStack;
}

/** `buildApps()` from tools/local-stack/src/build-apps.ts (not re-exported by the package index). */
export async function loadBuildApps(): Promise<() => Promise<void>> {
  const modulePath = path.join(path.dirname(aliasTarget('@relay/local-stack')), 'build-apps.ts');
  const loaded = (await import(modulePath)) as { buildApps?: () => Promise<void> };
  if (typeof loaded.buildApps !== 'function') throw new Error(`${modulePath} does not export buildApps()`);
  return loaded.buildApps;
}
