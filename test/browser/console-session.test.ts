import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  assertAccessible,
  assertNothingLeaked,
  launchChromium,
  screenshot,
  sessionStorageSize,
  signIn,
  startConsoleSystem,
  watchForLeaks,
  type ConsoleSystem,
} from '../support/browser.js';
import { eventually } from '../support/collector.js';
import { createTestDatabase, stopEmbeddedTestServer, type TestDatabase } from '../support/database.js';
import { pylonBatch, pylonProject, send, signPylon } from '../support/provider-requests.js';
import { createTenant, postJson, type Tenant } from '../support/tenants.js';

/**
 * Signing in and out of the console in Chromium, over the console server in front of the three
 * apps (all real processes): a wrong key is refused with the API's problem, a good one opens the
 * overview, a revoked one sends the user back to sign in; the key is never in a URL, in local
 * storage or in the page's console output.
 */
after(stopEmbeddedTestServer);

describe('console: signing in', { timeout: 300_000 }, () => {
  let database: TestDatabase;
  let system: ConsoleSystem;
  let browser: Browser;
  let tenant: Tenant;

  before(async () => {
    database = await createTestDatabase();
    system = await startConsoleSystem({ DATABASE_URL: database.url });
    tenant = await createTenant({ DATABASE_URL: database.url }, 'Sunrise Installers');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await system?.stop();
    await database?.drop();
  });

  test('a wrong key is refused with the problem the API answered', async () => {
    const page = await browser.newPage();
    await page.goto(`${system.console}/console/`);
    await assertAccessible(page, 'the sign-in page');
    await signIn(page, 'hub_not-a-real-key');
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /401/);
    await page.close();
  });

  test('a good key opens the overview, at the page the link named', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const seen = watchForLeaks(page);
    await page.goto(`${system.console}/console/bus`);
    await signIn(page, tenant.api_key);
    await page.getByRole('heading', { name: 'Bus', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.getByText('No sources yet.').waitFor();
    assert.equal(new URL(page.url()).pathname, '/console/');
    await assertAccessible(page, 'the overview');
    await screenshot(page, 'overview-empty');
    await assertNothingLeaked(page, seen, [tenant.api_key]);
    await page.close();
  });

  test('sign out forgets the key; a revoked key sends the user back to sign in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${system.console}/console/`);
    await signIn(page, tenant.api_key);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    assert.equal(await sessionStorageSize(page), 1);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    assert.equal(await sessionStorageSize(page), 0);

    const spare = await createKey(system.urls.projector, tenant.api_key);
    await signIn(page, spare.api_key);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    // The overview has made all its calls: the next one is the click's, after the revocation.
    await page.getByText('No sources yet.').waitFor();
    await page.getByText('No subscriptions yet.').waitFor();
    const revoked = await fetch(`${system.urls.projector}/v1/api-keys/${spare.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tenant.api_key}` },
    });
    assert.ok(revoked.ok, `revoke answered ${revoked.status}`);
    await page.getByRole('link', { name: 'Sources' }).click();
    await page.getByText('Your API key was refused').waitFor();
    assert.ok(await page.getByLabel('API key').isVisible());
    await context.close();
  });

  test('the overview puts a source rejecting requests at the top, with the reason, and counts the hour', async () => {
    const source = await postJson(system.urls.ingest, tenant.api_key, '/v1/sources', {
      provider: 'pylon-observer',
      name: 'Pylon (installs team)',
    });
    const body = pylonBatch({ uid: 'team-1', name: 'Installs' }, [
      pylonProject('p-1', 'REF-1001', '2026-12-01T10:00:00Z', 6.4),
    ]);
    const accepted = await send(system.urls.ingest, source['id']!, signPylon(source['secret']!, body));
    assert.equal(accepted.status, 200);
    const forged = await send(system.urls.ingest, source['id']!, signPylon('not-the-secret-at-all', body));
    assert.equal(forged.status, 401);
    // Ingest writes its counters once a second: wait until the API has them, then look.
    await eventually(async () => {
      const stats = await getJson(system.urls.ingest, tenant.api_key, `/v1/sources/${source['id']}/stats`);
      const hour = stats['last_hour'] as { accepted: number; rejected: number } | undefined;
      return hour?.accepted === 1 && hour.rejected === 1;
    });

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${system.console}/console/`);
    await signIn(page, tenant.api_key);
    const failing = page.getByRole('region', { name: 'Failing now' });
    await failing.getByText('Pylon (installs team)').waitFor();
    assert.match(
      await failing.innerText(),
      /rejected 1 request in the last hour, last: unauthorized_mismatch/,
    );
    const row = page.getByRole('row', { name: /Pylon \(installs team\)/ });
    assert.match(await row.innerText(), /pylon-observer\s+1 \/ 1\s+1 \/ 1/);
    await assertAccessible(page, 'the overview with a failing source');
    await screenshot(page, 'overview');

    await page.setViewportSize({ width: 390, height: 844 });
    await assertAccessible(page, 'the overview on a phone');
    await page.close();
  });
});

async function getJson(base: string, apiKey: string, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
  assert.equal(response.status, 200, `GET ${path}`);
  return (await response.json()) as Record<string, unknown>;
}

async function createKey(projector: string, apiKey: string): Promise<{ id: string; api_key: string }> {
  const response = await fetch(`${projector}/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'console test', scope: 'write' }),
  });
  assert.equal(response.status, 201);
  return (await response.json()) as { id: string; api_key: string };
}
