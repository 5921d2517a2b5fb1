import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startApp, startApps, stopApp, type RunningApp, type RunningApps } from './app-process.js';

/**
 * Debian's Chromium (`apt-get install chromium`; .ci/run installs it when missing): Playwright's
 * own browser download is not reachable from this machine. CHROMIUM_PATH points elsewhere.
 */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Where the tests' screenshots go; the README shows them. */
export const SCREENSHOT_DIR = 'docs/console';

/**
 * Headless, as root in CI (no sandbox), with none of Chromium's background traffic: this machine's
 * network is closed, and a browser test talks to the console on loopback only.
 */
export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM_PATH), `no Chromium at ${CHROMIUM_PATH}: apt-get install chromium`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export interface ConsoleSystem extends RunningApps {
  console: string;
}

/** The three apps and the console in front of them, each a real process on a free port. */
export async function startConsoleSystem(env: Record<string, string>): Promise<ConsoleSystem> {
  const apps = await startApps(['ingest', 'projector', 'dispatcher'], env);
  let consoleApp: RunningApp;
  try {
    consoleApp = await startApp('console', 'dist/apps/console/src/main.js', 'CONSOLE_PORT', {
      LOG_LEVEL: 'warn',
      CONSOLE_INGEST_URL: apps.urls.ingest,
      CONSOLE_PROJECTOR_URL: apps.urls.projector,
      CONSOLE_DISPATCHER_URL: apps.urls.dispatcher,
    });
  } catch (error) {
    await apps.stop();
    throw error;
  }
  return {
    urls: apps.urls,
    console: consoleApp.base,
    stop: async () => {
      await stopApp(consoleApp.app);
      await apps.stop();
    },
  };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The page's own globals, typed for what the tests read of them (this project has no DOM types). */
interface PageGlobals {
  axe?: { run(options: unknown): Promise<{ violations: unknown[] }> };
  sessionStorage: { length: number };
  localStorage: Record<string, string>;
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core run in the page as it is now: no serious or critical violation of WCAG 2 A/AA rules.
 * The failure names each rule and the elements that break it.
 */
export async function assertAccessible(page: Page, where: string): Promise<void> {
  // Evaluated rather than added as a <script>: the console's Content-Security-Policy allows no
  // script but its own, and the test must not weaken it.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as PageGlobals).axe!;
    const result = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } });
    return result.violations as AxeViolation[];
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    serious.map(
      (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    ),
    [],
    `accessibility of ${where}`,
  );
}

/** Signs in on the page shown (the console asks first whatever the address), as a user does. */
export async function signIn(page: Page, apiKey: string): Promise<void> {
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** How many items the page keeps in its session storage. */
export function sessionStorageSize(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.length);
}

/** A screenshot for the README, at the width the console is designed for. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/**
 * Everything the page stored, sent or printed, to check no secret leaked there: every URL it
 * requested or navigated to, its local storage, and its console output.
 */
export function watchForLeaks(page: Page): { urls: string[]; consoleLines: string[] } {
  const urls: string[] = [];
  const consoleLines: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  page.on('framenavigated', (frame) => urls.push(frame.url()));
  page.on('console', (message) => consoleLines.push(message.text()));
  return { urls, consoleLines };
}

export async function assertNothingLeaked(
  page: Page,
  seen: { urls: string[]; consoleLines: string[] },
  secrets: string[],
): Promise<void> {
  const localStorage = await page.evaluate(() =>
    JSON.stringify({ ...(globalThis as unknown as PageGlobals).localStorage }),
  );
  for (const secret of secrets) {
    assert.ok(!seen.urls.some((url) => url.includes(secret)), 'a secret appeared in a URL');
    assert.ok(
      !seen.consoleLines.some((line) => line.includes(secret)),
      'a secret appeared in the console log',
    );
    assert.ok(!localStorage.includes(secret), 'a secret appeared in local storage');
  }
}
