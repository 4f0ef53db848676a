import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, BrowserContext, Page } from 'playwright-core';
import { AppProcess, CONSOLE_APP, findFreePort, kafkaClientEnv, kafkaSecurityDir, readKafkaSecurity, REPO_ROOT, startAppProcess } from '@relay/local-stack';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium';
import { AppHandle, Stack } from './stack';

/** Git-ignored: one picture per view, for a person to look at after a run. */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'tmp', 'console-screenshots');

/** How fast the console samples in these tests, and when it calls a group stalled. */
const SAMPLE_INTERVAL_MS = 500;
export const STALLED_AFTER_MS = 3_000;

/**
 * Starts the console (dist/apps/console) watching one e2e stack: its instances' URLs, schemas and
 * groups. The topics are shared with other stacks, so its audit counts their events as foreign.
 */
export async function startConsoleFor(stack: Stack): Promise<AppProcess> {
  // The stack's token settings (its API needs the stack's admin token) and the ops principal's Kafka login.
  const authEnv = Object.fromEntries(Object.entries(stack.apps[0].env).filter(([name]) => name.startsWith('AUTH_')));
  const security = await readKafkaSecurity(kafkaSecurityDir());
  return startAppProcess({
    service: CONSOLE_APP,
    port: await findFreePort(),
    logFile: path.join(stack.logDir, 'console.log'),
    env: {
      ...authEnv,
      ...(security ? kafkaClientEnv(security, 'ops') : {}),
      KAFKA_BROKERS: stack.kafkaBrokers,
      DATABASE_URL: stack.apps[0].env.DATABASE_URL,
      ...Object.fromEntries(stack.apps.flatMap((app) => watchedServiceEnv(app, stack.groups[app.service]))),
      CONSOLE_SAMPLE_INTERVAL_MS: String(SAMPLE_INTERVAL_MS),
      CONSOLE_STALLED_AFTER_MS: String(STALLED_AFTER_MS),
      CONSOLE_AUDIT_SHARED_TOPICS: 'true',
      LOG_FORMAT: 'json',
    },
  });
}

/**
 * What the console reads about one service (apps/console/src/config/watched-services.ts): its
 * instances' management ports, where /metrics is; its schema; its consumer group.
 */
function watchedServiceEnv(app: AppHandle, group: string): Array<[string, string]> {
  const prefix = app.service.toUpperCase();
  return [
    [`${prefix}_URLS`, app.managementUrl],
    [`${prefix}_SCHEMA`, app.env.DATABASE_SCHEMA],
    [`${prefix}_GROUP`, group],
  ];
}

export interface BrowserSession {
  page: Page;
  /** Saves a full-page picture as tmp/console-screenshots/<name>.png. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Headless Debian Chromium with a fresh profile (deleted on close). Every confirm() the page asks
 * is accepted, as the operator would; the page's console errors fail nothing but are kept for the
 * test's messages.
 */
export async function openBrowser(): Promise<BrowserSession> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'relay-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 900 },
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('dialog', (dialog) => void dialog.accept());
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return {
    page,
    screenshot: async (name) => {
      const file = path.join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: async () => {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
