import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
import { eventually, unique } from '../support/collector.js';
import { createTestDatabase, stopEmbeddedTestServer, type TestDatabase } from '../support/database.js';
import { pylonBatch, pylonProject, send, signPylon } from '../support/provider-requests.js';
import { Receiver } from '../support/receiver.js';
import { createTenant, postJson, type Tenant } from '../support/tenants.js';

/**
 * Subscriptions, deliveries and the bus in the console, in Chromium, over the three apps on the
 * Postgres-log bus and a local receiver: a subscription made in the editor from a field the
 * projector has seen, its preview of a recent change, a delivery and its attempt, a failed attempt
 * retried from the console, a replay confirmed with its count, and the consumer groups' lag. Every
 * page passes axe; neither the API key nor the subscription's secret reaches a URL, local storage
 * or the console output.
 */
after(stopEmbeddedTestServer);

const PYLON_SECRET = 'pylon-webhook-secret-of-20+-chars';
const TEAM = { uid: 'team-console', name: 'Console Solar' };
const HOOK = '/hooks/crm';
const FAILURE_TEXT = 'crm is down for maintenance';

describe('console: subscriptions, deliveries and the bus', { timeout: 300_000 }, () => {
  let database: TestDatabase;
  let system: ConsoleSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let seen: ReturnType<typeof watchForLeaks>;
  let tenant: Tenant;
  let receiver: Receiver;
  let sourceId: string;
  let subscriptionSecret = '';
  const projectUid = unique('proj');
  const subject = `pylon-observer:${projectUid}`;

  const projector = (path: string) =>
    fetch(`${system.urls.projector}${path}`, { headers: { authorization: `Bearer ${tenant.api_key}` } });

  /** Until the dispatcher's log holds `count` deliveries of `status` (the console then shows them). */
  const untilDeliveries = (status: string, count: number) =>
    eventually(async () => {
      const answer = await fetch(`${system.urls.dispatcher}/v1/deliveries?status=${status}`, {
        headers: { authorization: `Bearer ${tenant.api_key}` },
      });
      return answer.ok && ((await answer.json()) as { data: unknown[] }).data.length === count;
    });

  /** One version of the project, sent as Pylon sends it, and waited for in the projector. */
  const sendVersion = async (reference: string, version: number) => {
    const body = pylonBatch(TEAM, [pylonProject(projectUid, reference, new Date().toISOString(), 6.6)]);
    const response = await send(system.urls.ingest, sourceId, signPylon(PYLON_SECRET, body));
    assert.equal(response.status, 200, await response.clone().text());
    await eventually(async () => {
      const answer = await projector(`/v1/projects/${subject}`);
      if (!answer.ok) return false;
      return ((await answer.json()) as { version: number }).version >= version;
    });
  };
  const events = () => receiver.events(HOOK).filter((event) => event['type'] !== 'webhook.test');

  before(async () => {
    database = await createTestDatabase();
    receiver = await new Receiver().start();
    system = await startConsoleSystem({
      DATABASE_URL: database.url,
      OUTBOUND_ALLOW_HTTP: 'true',
      OUTBOUND_ALLOW_PRIVATE: 'true',
      DISPATCH_POLL_INTERVAL: '50ms',
      // A failed attempt stays the only one while the test runs: the next is an hour away.
      DISPATCH_RETRY_SCHEDULE: '1h',
      DISPATCH_RETRY_JITTER: '0',
    });
    tenant = await createTenant({ DATABASE_URL: database.url }, 'Console Installers');
    const source = await postJson(system.urls.ingest, tenant.api_key, '/v1/sources', {
      provider: 'pylon-observer',
      name: 'Pylon',
      secret: PYLON_SECRET,
    });
    sourceId = source['id']!;
    await sendVersion('Q-100', 1);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    seen = watchForLeaks(page);
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await system?.stop();
    await receiver?.stop();
    await database?.drop();
  });

  test('a subscription made in the editor from a field seen, with the preview of a recent change', async () => {
    await page.goto(`${system.console}/console/subscriptions`);
    await signIn(page, tenant.api_key);
    await page.getByRole('heading', { name: 'Subscriptions', level: 1 }).waitFor();
    await page.getByText('No subscriptions yet.').waitFor();
    await assertAccessible(page, 'the empty subscription list');

    await page.getByRole('link', { name: 'New subscription' }).first().click();
    await page.getByRole('heading', { name: 'New subscription', level: 1 }).waitFor();
    await page.getByLabel('Endpoint URL').fill(receiver.url(HOOK));
    await page.getByLabel('Description').fill('CRM');
    const preview = page.getByRole('region', { name: 'Preview' });
    const events = page.getByRole('group', { name: 'Event types' });
    // The preview follows the draft: a customer type matches none of the recent project changes.
    await events.getByRole('checkbox', { name: 'customer.created', exact: true }).check();
    await preview.getByText('0 of 1 recent changes would be sent.').waitFor();
    await preview.getByText('(event type not subscribed)').waitFor();
    await events.getByRole('checkbox', { name: 'customer.created', exact: true }).uncheck();
    await events.getByRole('checkbox', { name: 'project.created', exact: true }).check();
    await events.getByRole('checkbox', { name: 'project.updated', exact: true }).check();

    // The trigger field, picked from the fields the projector has seen in the first version.
    const triggers = page.getByRole('group', { name: 'Trigger fields' });
    await triggers.getByRole('checkbox', { name: 'project.reference_number', exact: true }).check();
    // The payload: typed as a pattern of the grammar.
    await page.getByLabel('Add a payload field pattern').fill('project.*');
    await page.getByLabel('Add a payload field pattern').press('Enter');
    await page
      .getByRole('group', { name: 'Payload fields' })
      .getByRole('checkbox', { name: 'project.*', exact: true })
      .waitFor();

    // The preview: the first version's change would be sent, with its body.
    await preview.getByText('1 of 1 recent changes would be sent.').waitFor();
    const row = preview.getByRole('listitem').filter({ hasText: subject });
    await row.getByText('Would be sent').waitFor();
    await row.getByText('Body it would carry').click();
    await row.getByText('"reference_number": "Q-100"').waitFor();
    await assertAccessible(page, 'the subscription editor');
    await page.setViewportSize({ width: 390, height: 844 });
    await assertAccessible(page, 'the subscription editor at 390 px');
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'subscription-editor');

    await page.getByRole('button', { name: 'Create subscription' }).click();
    await page.getByRole('heading', { name: 'Subscription', level: 1 }).waitFor();
    await page.getByText('Signing secret, shown once.').waitFor();
    subscriptionSecret = await page.locator('#secret-value').innerText();
    assert.match(subscriptionSecret, /^whsec_/);
    await page.getByText('active', { exact: true }).first().waitFor();
    await assertAccessible(page, 'a new subscription');
  });

  test('a change of the trigger field is delivered and shown in the log with its attempt', async () => {
    await sendVersion('Q-200', 2);
    await receiver.waitFor(() => events().length === 1, 30_000, 'the first delivery');
    assert.equal(events()[0]!['type'], 'project.updated');

    await untilDeliveries('succeeded', 1);
    const log = page.locator('.delivery-log');
    await log.getByRole('button', { name: 'Refresh' }).click();
    const row = log.getByRole('row').filter({ hasText: 'project.updated' });
    await row.getByText('succeeded').waitFor();
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: 'Delivery', level: 1 }).waitFor();
    const attempts = page.getByRole('table', { name: 'Attempts' });
    await attempts.getByRole('cell', { name: '200', exact: true }).waitFor();
    await attempts.getByText('ok', { exact: true }).waitFor();
    await assertAccessible(page, 'a delivery');
  });

  test('a failed attempt shows its status and answer, and a retry from the console succeeds', async () => {
    receiver.on(HOOK, { status: 500, body: FAILURE_TEXT });
    await sendVersion('Q-300', 3);
    await receiver.waitFor(
      () => events().some((e) => e.received.answered === 500),
      30_000,
      'a failed attempt',
    );

    await untilDeliveries('pending', 1);
    await page.getByRole('link', { name: 'Deliveries', exact: true }).click();
    await page.getByRole('heading', { name: 'Deliveries', level: 1 }).waitFor();
    await page.getByLabel('Status').selectOption('pending');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/\/console\/deliveries\?status=pending$/);
    const row = page.getByRole('row').filter({ hasText: 'HTTP 500' });
    await eventually(
      async () => (await page.getByRole('row').filter({ hasText: 'succeeded' }).count()) === 0,
    );
    await row.waitFor();
    await assertAccessible(page, 'the pending deliveries');
    // The filter is in the URL: the same view opens from it.
    await page.goto(`${system.console}/console/deliveries?status=pending`);
    await row.waitFor();
    await page.getByLabel('Status').selectOption('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/\/console\/deliveries$/);
    await page.getByRole('row').filter({ hasText: 'succeeded' }).waitFor();
    await screenshot(page, 'deliveries');

    await row.getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Delivery', level: 1 }).waitFor();
    const attempts = page.getByRole('table', { name: 'Attempts' });
    await attempts.getByRole('cell', { name: '500', exact: true }).waitFor();
    await attempts.getByText(FAILURE_TEXT).waitFor();

    receiver.on(HOOK, { status: 200, body: 'accepted' });
    await page.getByRole('button', { name: 'Retry now' }).click();
    await page.getByText('Retried: the endpoint accepted it.').waitFor();
    await attempts.getByRole('cell', { name: '200', exact: true }).waitFor();
    assert.equal(await attempts.getByRole('row').count(), 3, 'a header and two attempts');
    await assertAccessible(page, 'a retried delivery');
    await screenshot(page, 'delivery');
    const delivered = events().filter((e) => e.received.answered === 200);
    assert.equal(delivered.length, 2);
  });

  test('a replay of a window says how many it will send, then sends them', async () => {
    const before = events().length;
    await page.getByRole('link', { name: /^sub_/ }).click();
    await page.getByRole('heading', { name: 'Subscription', level: 1 }).waitFor();
    const replay = page.getByRole('region', { name: 'Replay a time window' });
    await replay.getByRole('button', { name: 'Count deliveries to replay' }).click();
    await replay
      .getByText('2 deliveries will be sent again')
      .waitFor({ timeout: 5000 })
      .catch(async (e) => {
        console.error('DEBUG', await replay.innerText());
        throw e;
      });
    assert.equal(events().length, before, 'the dry run sends nothing');
    await screenshot(page, 'replay-confirm');
    await replay.getByRole('button', { name: 'Replay 2' }).click();
    await replay.getByText('2 deliveries queued to be sent again.').waitFor();
    await receiver.waitFor(() => events().length === before + 2, 30_000, 'the replayed deliveries');
    const ids = events().map((event) => event['id']);
    assert.deepEqual(new Set(ids.slice(before)), new Set(ids.slice(0, before)), 'the same ids again');

    await page.getByRole('heading', { name: 'Delivery stats' }).waitFor();
    await page.getByText('Success rate').waitFor();
    await assertAccessible(page, 'the subscription after a replay');
    await screenshot(page, 'subscription');
    await page.setViewportSize({ width: 390, height: 844 });
    await assertAccessible(page, 'the subscription at 390 px');
    await page.setViewportSize({ width: 1280, height: 900 });

    // The subscription's log in the tenant-wide one, filtered by the URL.
    await page.getByRole('link', { name: 'Open in the delivery log' }).click();
    await page.waitForURL(/\/console\/deliveries\?subscription_id=sub_/);
    await page.getByRole('row').filter({ hasText: 'project.updated' }).first().waitFor();
    assert.equal(
      await page.getByLabel('Subscription').inputValue(),
      new URL(page.url()).searchParams.get('subscription_id'),
    );
  });

  test('the bus shows the consumer groups with their lag', async () => {
    await page.getByRole('link', { name: 'Bus', exact: true }).click();
    await page.getByRole('heading', { name: 'Bus', level: 1 }).waitFor();
    await page.getByRole('heading', { name: /^Group projector: total lag \d+/ }).waitFor();
    await page.getByRole('heading', { name: /^Group dispatcher: total lag \d+/ }).waitFor();
    // The dispatcher reads the state changes; it has committed past the ones it matched.
    const stateChanges = page
      .getByRole('table', { name: /^Group dispatcher/ })
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: /state\.changes$/ }) });
    await stateChanges.waitFor();
    assert.match(await stateChanges.innerText(), /\d+: \d+/);
    await page.getByText('Transport: postgres-log').waitFor();
    await assertAccessible(page, 'the bus');
    await screenshot(page, 'bus');

    await page.getByRole('link', { name: 'Subscriptions', exact: true }).click();
    await page
      .getByRole('row')
      .filter({ hasText: receiver.url(HOOK) })
      .waitFor();
    await assertAccessible(page, 'the subscription list');
  });

  test("the subscription's actions: edit, send a test, rotate the secret, disable, enable, delete", async () => {
    await page
      .getByRole('row')
      .filter({ hasText: receiver.url(HOOK) })
      .getByRole('link')
      .click();
    await page.getByRole('heading', { name: 'Subscription', level: 1 }).waitFor();
    await page.getByText('CRM', { exact: true }).waitFor();
    // The secret from create was shown once, and is gone.
    assert.equal(await page.getByText('Signing secret, shown once.').count(), 0);

    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.getByRole('heading', { name: 'Edit subscription', level: 1 }).waitFor();
    const reference = page
      .getByRole('group', { name: 'Trigger fields' })
      .getByRole('checkbox', { name: 'project.reference_number', exact: true });
    assert.ok(await reference.isChecked());
    await page.getByLabel('Description').fill('CRM, edited');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Subscription', level: 1 }).waitFor();
    await page.getByText('CRM, edited', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'Send a test' }).click();
    await page.getByText('Test message queued').waitFor();
    await receiver.waitFor(
      () => receiver.at(HOOK).some((request) => request.body.includes('"webhook.test"')),
      30_000,
      'the test message',
    );

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText('New signing secret, shown once.').waitFor();
    const rotated = await page.locator('#secret-value').innerText();
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, subscriptionSecret);

    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('disabled', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByText('active', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Delete for good' }).click();
    await page.getByRole('heading', { name: 'Subscriptions', level: 1 }).waitFor();
    await page.getByText('No subscriptions yet.').waitFor();
    await assertNothingLeaked(page, seen, [tenant.api_key, subscriptionSecret, rotated]);
  });
});
