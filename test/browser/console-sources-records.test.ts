import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import {
  assertAccessible,
  assertNothingLeaked,
  launchChromium,
  screenshot,
  signIn,
  startConsoleSystem,
  watchForLeaks,
  type ConsoleSystem,
} from '../support/browser.js';
import { createTestDatabase, stopEmbeddedTestServer, type TestDatabase } from '../support/database.js';
import { pylonBatch, pylonProject, send, signPylon } from '../support/provider-requests.js';
import { createTenant, type Tenant } from '../support/tenants.js';

/**
 * The Sources and Records pages in Chromium, over the console server in front of the three apps
 * (real processes on the Postgres-log bus): a source created in the form shows its secret once,
 * a webhook signed with it moves the source's counts, a badly signed one shows its rejection
 * reason; the record it made is found by its reference, and a second version shows as field-level
 * diffs in its history. Every page visited passes axe; the API key and the source's secret never
 * reach a URL, local storage or the console output.
 */
after(stopEmbeddedTestServer);

const TEAM = { uid: 'team-console', name: 'My Solar Co' };
const PROJECT_UID = 'prjConsole1';
const REFERENCE = 'Q-CONSOLE-7';

describe('console: sources and records', { timeout: 480_000 }, () => {
  let database: TestDatabase;
  let system: ConsoleSystem;
  let browser: Browser;
  let tenant: Tenant;
  let sourceId = '';
  let secret = '';

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

  const signedIn = async (
    path: string,
    width = 1280,
  ): Promise<{ page: Page; seen: ReturnType<typeof watchForLeaks> }> => {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    const seen = watchForLeaks(page);
    await page.goto(`${system.console}${path}`);
    await signIn(page, tenant.api_key);
    return { page, seen };
  };

  /** The project, with `extra` fields of its own (the mapping keeps them under attributes). */
  const sendProject = (
    withSecret: string,
    kwStc: number,
    updatedAt: string,
    extra: Record<string, unknown>,
  ) =>
    send(
      system.urls.ingest,
      sourceId,
      signPylon(
        withSecret,
        pylonBatch(TEAM, [{ ...pylonProject(PROJECT_UID, REFERENCE, updatedAt, kwStc), ...extra }]),
      ),
    );

  test('a source created in the form shows its secret once; its counts and rejections follow', async () => {
    const { page, seen } = await signedIn('/console/sources');
    await page.getByRole('heading', { name: 'Sources', level: 1 }).waitFor();
    await page.getByText('No sources yet.').waitFor();
    await assertAccessible(page, 'the empty sources list');

    await page.getByRole('link', { name: 'New source' }).click();
    await page.getByRole('heading', { name: 'New source', level: 1 }).waitFor();
    await page.getByLabel('Provider').selectOption('pylon-observer');
    await page.getByRole('heading', { name: 'Setting up Pylon Observer' }).waitFor();
    assert.match(await page.locator('.guide').innerText(), /Webhook secret/);
    await page.getByLabel('Name', { exact: true }).fill('Pylon: My Solar Co');
    await assertAccessible(page, 'the new source form');
    await screenshot(page, 'source-new');
    await page.setViewportSize({ width: 390, height: 844 });
    await assertAccessible(page, 'the new source form at 390 px');
    await screenshot(page, 'source-new-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    // The form refuses a bad choice with the API's problem, and keeps what was typed.
    await page.getByLabel('Provider').selectOption('opensolar');
    await page.getByLabel('Header name').fill('not a header');
    await page.getByRole('button', { name: 'Create source' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /400[\s\S]*header_name/);
    await page.getByLabel('Provider').selectOption('pylon-observer');

    await page.getByRole('button', { name: 'Create source' }).click();
    await page.getByRole('heading', { name: 'Source created: Pylon: My Solar Co' }).waitFor();
    secret = (await page.locator('#source-secret').innerText()).trim();
    const ingestUrl = (await page.locator('#ingest-url').innerText()).trim();
    assert.ok(secret.length >= 16, 'a generated secret is shown');
    sourceId = /\/v1\/ingest\/(src_[\w-]+)$/.exec(ingestUrl)?.[1] ?? '';
    assert.ok(sourceId, `an ingest URL naming the source: ${ingestUrl}`);
    assert.ok(await page.getByRole('button', { name: 'Copy the secret' }).isVisible());
    await page.getByText('Shown only this once.').waitFor();
    await assertAccessible(page, 'the created source');
    await screenshot(page, 'source-created');

    const accepted = await sendProject(secret, 6.6, '2026-12-01T10:00:00Z', { notes: 'call first' });
    assert.equal(accepted.status, 200, await accepted.text());
    const refused = await sendProject('not-the-secret-at-all', 6.6, '2026-12-01T10:00:00Z', {});
    assert.equal(refused.status, 401);
    // Verified, but a project without its uid cannot be mapped: kept, and listed on the page.
    const unmappable = await send(
      system.urls.ingest,
      sourceId,
      signPylon(secret, JSON.stringify({ team: TEAM, projects: [{ reference_number: 'Q-NO-UID' }] })),
    );
    assert.equal(unmappable.status, 200);
    assert.equal(((await unmappable.json()) as { unmapped?: boolean }).unmapped, true);

    await page.getByRole('link', { name: "Open the source's page" }).click();
    await page.getByRole('heading', { name: 'Pylon: My Solar Co', level: 1 }).waitFor();
    // The secret was shown once: its own page never shows it again.
    assert.equal(await page.locator('#source-secret').count(), 0);
    assert.ok(!(await page.locator('main').innerText()).includes(secret));
    await refreshUntil(page, page.locator('[data-count="accepted"]'), '1');
    await refreshUntil(page, page.locator('[data-count="rejected"]'), '1');
    const stats = (await (
      await fetch(`${system.urls.ingest}/v1/sources/${sourceId}/stats`, {
        headers: { authorization: `Bearer ${tenant.api_key}` },
      })
    ).json()) as { rejected: Record<string, { last_detail: string }> };
    const [reason, rejection] = Object.entries(stats.rejected)[0]!;
    const row = page.getByRole('row', { name: new RegExp(reason) });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(escape(rejection.last_detail.slice(0, 30))));
    await refreshUntil(page, page.locator('[data-count="unmapped"]'), '1');
    // The last hour and day, per minute: one of each outcome.
    await refreshUntil(page, page.getByRole('row', { name: /Last hour/ }), /^Last hour\s+1\s+1\s+1$/);
    await refreshUntil(page, page.getByRole('row', { name: /Last 24 hours/ }), /^Last 24 hours\s+1\s+1\s+1$/);
    const unmappedRow = page.getByRole('region', { name: 'Unmapped deliveries' }).locator('tbody tr');
    await unmappedRow.waitFor();
    assert.match(await unmappedRow.innerText(), /uid/);
    await unmappedRow.getByText(/bytes/).click();
    assert.match(await unmappedRow.locator('pre').innerText(), /Q-NO-UID/);
    await assertAccessible(page, 'the source page');
    await screenshot(page, 'source-detail');

    await page.setViewportSize({ width: 390, height: 844 });
    await assertAccessible(page, 'the source page at 390 px');
    await screenshot(page, 'source-detail-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.getByRole('link', { name: 'Sources', exact: true }).first().click();
    await page.getByRole('heading', { name: 'Sources', level: 1 }).waitFor();
    const listed = page.getByRole('row', { name: /Pylon: My Solar Co/ });
    await listed.waitFor();
    for (let i = 0; i < 40 && (await listed.innerText()).includes('…'); i++) await page.waitForTimeout(100);
    assert.match(await listed.innerText(), /Pylon Observer\s+signature\s+1\s+1\s+1/);
    await assertAccessible(page, 'the sources list');
    await screenshot(page, 'sources');

    await assertNothingLeaked(page, seen, [tenant.api_key, secret]);
    await page.close();
  });

  test('rotating the secret shows the new one once; the old one is refused from then on', async () => {
    assert.ok(sourceId && secret, 'the first test created the source');
    const { page, seen } = await signedIn(`/console/sources/${sourceId}`);
    await page.getByRole('heading', { name: 'Pylon: My Solar Co', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('heading', { name: 'Rotate the secret of Pylon: My Solar Co?' }).waitFor();
    await assertAccessible(page, 'the rotate confirmation');
    await page.getByRole('button', { name: 'Yes, rotate the secret' }).click();
    await page.getByText('Shown only this once.').waitFor();
    const rotated = (await page.locator('#source-secret').innerText()).trim();
    assert.ok(rotated.length >= 16 && rotated !== secret, 'a new secret is shown');
    await assertAccessible(page, 'the rotated secret');
    const old = secret;
    secret = rotated;
    const body = pylonBatch(TEAM, [pylonProject('prjRotated', 'Q-ROTATED', '2026-12-01T10:30:00Z', 5)]);
    for (let i = 0; i < 40; i++) {
      // Ingest sees the new secret within a second.
      if ((await send(system.urls.ingest, sourceId, signPylon(old, body))).status === 401) break;
      await page.waitForTimeout(100);
    }
    assert.equal((await send(system.urls.ingest, sourceId, signPylon(old, body))).status, 401);
    assert.equal((await send(system.urls.ingest, sourceId, signPylon(rotated, body))).status, 200);
    // Shown once: the page loaded again has no secret.
    await page.reload();
    await page.getByRole('heading', { name: 'Pylon: My Solar Co', level: 1 }).waitFor();
    assert.equal(await page.locator('#source-secret').count(), 0);
    await assertNothingLeaked(page, seen, [tenant.api_key, old, rotated]);
    await page.close();
  });

  test('a source is deleted only once confirmed', async () => {
    const created = await fetch(`${system.urls.ingest}/v1/sources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'observer', name: 'Observer to delete' }),
    });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    const { page } = await signedIn(`/console/sources/${id}`);
    await page.getByRole('heading', { name: 'Observer to delete', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Delete source' }).click();
    await page.getByRole('heading', { name: 'Delete Observer to delete?' }).waitFor();
    await assertAccessible(page, 'the delete confirmation');
    await page.getByRole('button', { name: 'Cancel' }).click();
    // By keyboard: focus is back on the button that asked (once the page has moved it there), and
    // Enter asks again.
    await page.waitForFunction("document.activeElement?.textContent === 'Delete source'");
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Delete Observer to delete?' }).waitFor();
    await page.getByRole('button', { name: 'Yes, delete the source' }).click();
    await page.getByRole('heading', { name: 'Sources', level: 1 }).waitFor();
    await page.getByRole('row', { name: /Pylon: My Solar Co/ }).waitFor();
    assert.equal(await page.getByRole('row', { name: /Observer to delete/ }).count(), 0);
    const gone = await fetch(`${system.urls.ingest}/v1/sources/${id}`, {
      headers: { authorization: `Bearer ${tenant.api_key}` },
    });
    assert.equal(gone.status, 404);
    await page.close();
  });

  test('a record is found by its reference; its history shows each change field by field', async () => {
    assert.ok(sourceId && secret, 'the first test created the source');
    // A shared link to a search: the reader signs in and lands on it, the form filled in.
    const { page, seen } = await signedIn(`/console/records?type=project&q=${REFERENCE}`);
    await page.getByRole('heading', { name: 'Records', level: 1 }).waitFor();
    const result = page.getByRole('link', { name: REFERENCE });
    await result.waitFor();
    assert.equal(await page.getByLabel('Id, reference, name or e-mail').inputValue(), REFERENCE);
    assert.equal(await page.getByRole('row').count(), 2, 'the header and the one project found');
    await assertAccessible(page, 'the records search');

    // Part of the reference, in another case, with the provider: the search goes into the URL.
    await page.getByLabel('Type').selectOption('project');
    await page.getByLabel('Id, reference, name or e-mail').fill('console-7');
    await page.getByLabel('Provider').selectOption('pylon-observer');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/provider=pylon-observer/);
    await result.waitFor();
    const url = new URL(page.url());
    assert.deepEqual(
      [url.searchParams.get('type'), url.searchParams.get('q'), url.searchParams.get('provider')],
      ['project', 'console-7', 'pylon-observer'],
    );
    await assertAccessible(page, 'the records results');
    await screenshot(page, 'records');

    // A search with nothing to find says so.
    await page.getByLabel('Provider').selectOption('opensolar');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No projects match this search.').waitFor();
    await assertAccessible(page, 'an empty search');
    // Back in the browser is the earlier search again.
    await page.goBack();
    await result.waitFor();
    assert.equal(await page.getByLabel('Provider').inputValue(), 'pylon-observer');
    // Customers take their own filters.
    await page.getByLabel('Type').selectOption('customer');
    await page.getByRole('textbox', { name: 'E-mail (exact, any case)' }).waitFor();
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No customers match this search.').waitFor();
    // An unknown record: the API's problem, said on the page.
    await page.goto(`${system.console}/console/records/project/pylon-observer%3Anot-there`);
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /404/);
    await assertAccessible(page, 'an unknown record');
    await page.goBack();
    await page.goBack();
    await result.waitFor();

    await result.click();
    await page.getByRole('heading', { name: REFERENCE, level: 1 }).waitFor();
    assert.equal(
      new URL(page.url()).pathname,
      `/console/records/project/${encodeURIComponent(`pylon-observer:${PROJECT_UID}`)}`,
    );
    await page.getByRole('heading', { name: /^Version 1/ }).waitFor();
    await page.getByText('No activity recorded').waitFor();
    await assertAccessible(page, 'the record page');

    const second = await sendProject(secret, 7.4, '2026-12-01T11:00:00Z', { stage: 'Sold' });
    assert.equal(second.status, 200, await second.text());
    const version2 = page.locator('section.version', {
      has: page.getByRole('heading', { name: /^Version 2/ }),
    });
    const kw = version2.locator('tr[data-field="designs[0].summary.kw_stc"]');
    for (let i = 0; i < 40 && (await kw.count()) === 0; i++) {
      await page.waitForTimeout(250);
      await page.reload();
      await page.getByRole('heading', { name: REFERENCE, level: 1 }).waitFor();
      await page.getByRole('heading', { name: 'History' }).waitFor();
      await page.locator('.history, .empty, [role="alert"]').first().waitFor();
    }
    await page.getByRole('heading', { name: /^Version 2/ }).waitFor();
    // One row per field, in the document's order: changed (before and after), added (after only), removed (before only).
    const rows: string[][] = [];
    for (const row of await version2.locator('tbody tr').all())
      rows.push(await row.locator('th, td').allInnerTexts());
    assert.deepEqual(rows, [
      ['designs[0].summary.kw_stc', 'changed', '6.6', '7.4'],
      ['attributes.notes', 'removed', '"call first"', '(none)'],
      ['attributes.stage', 'added', '(none)', '"Sold"'],
      ['provider_updated_at', 'changed', '"2026-12-01T10:00:00Z"', '"2026-12-01T11:00:00Z"'],
    ]);
    await assertAccessible(page, 'the record history');
    await screenshot(page, 'record-history');

    await page.setViewportSize({ width: 390, height: 844 });
    await assertAccessible(page, 'the record page at 390 px');
    await screenshot(page, 'record-history-phone');

    await assertNothingLeaked(page, seen, [tenant.api_key, secret]);
    await page.close();
  });
});

/** Clicks Refresh until `locator` reads `text` (counters are written about once a second). */
async function refreshUntil(page: Page, locator: Locator, text: string | RegExp): Promise<void> {
  const reads = async () => {
    if ((await locator.count()) === 0) return false;
    const shown = (await locator.innerText()).trim();
    return typeof text === 'string' ? shown === text : text.test(shown);
  };
  for (let i = 0; i < 40 && !(await reads()); i++) {
    await page.waitForTimeout(250);
    await page.getByRole('button', { name: 'Refresh' }).click();
  }
  assert.ok(await reads(), `${String(locator)} reads ${String(text)}`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
