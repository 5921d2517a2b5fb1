import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApps, type RunningApps } from '../support/app-process.js';
import { eventually, pause, unique } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { PROVIDER_CASES, send } from '../support/provider-requests.js';
import { Receiver } from '../support/receiver.js';
import { createTenant, postJson, type Tenant } from '../support/tenants.js';
import { postgresLogFixture, type TransportFixture } from '../support/transports.js';

/**
 * Unified records end to end, each app its own process: an OpenSolar contact and a Solar Proof
 * customer of the same person come in as signed provider webhooks, the projector links them, and
 * a subscription on `unified_customer.*` receives one webhook for the merged change, and none for
 * a further record that changes no merged field. One transport: the linking happens in the
 * projector's transaction, whichever bus feeds it (the pipeline test covers both).
 */
after(stopEmbeddedTestServer);
const OPENSOLAR = PROVIDER_CASES.find((c) => c.provider === 'opensolar')!;
const SOLARPROOF = PROVIDER_CASES.find((c) => c.provider === 'solarproof')!;

interface Webhook {
  type: string;
  subject: string;
  data: {
    changed_fields: string[];
    version: number;
    unified_customer?: Record<string, unknown>;
  };
}

describe('unified records → webhooks', { timeout: 240_000 }, () => {
  let fixture: TransportFixture;
  let apps: RunningApps | undefined;
  let urls: RunningApps['urls'];
  let receiver: Receiver;
  let tenant: Tenant;

  before(async () => {
    fixture = await postgresLogFixture();
    receiver = await new Receiver().start();
    apps = await startApps(['ingest', 'projector', 'dispatcher'], {
      ...fixture.env,
      OUTBOUND_ALLOW_HTTP: 'true',
      OUTBOUND_ALLOW_PRIVATE: 'true',
      DISPATCH_POLL_INTERVAL: '50ms',
    });
    urls = apps.urls;
    tenant = await createTenant(fixture.env, 'Unified tenant');
  });
  after(async () => {
    await apps?.stop();
    await receiver?.stop();
    await fixture?.close();
  });

  const unified = async (record: string) => {
    const response = await fetch(`${urls.projector}/v1/unified/customers/${record}`, {
      headers: { authorization: `Bearer ${tenant.api_key}` },
    });
    return response.status === 200 ? ((await response.json()) as { id: string; members: unknown[] }) : null;
  };

  test('one webhook when a second provider’s record of the person changes a merged field; none when a further record changes none', async () => {
    const path = `/${unique('unified')}`;
    const subscription = await postJson(urls.dispatcher, tenant.api_key, '/v1/subscriptions', {
      endpoint: receiver.url(path),
      // customer.linked and .unlinked change `unified_customer.members`, which these trigger
      // fields match: the event types keep this subscription to the merged record's changes.
      event_types: ['unified_customer.*'],
      trigger_fields: ['unified_customer.*'],
    });
    assert.equal(subscription['status'], 'active');
    const opensolar = await postJson(urls.ingest, tenant.api_key, '/v1/sources', {
      provider: 'opensolar',
      name: 'OpenSolar',
      secret: OPENSOLAR.secret,
      settings: OPENSOLAR.settings,
    });
    const solarproof = await postJson(urls.ingest, tenant.api_key, '/v1/sources', {
      provider: 'solarproof',
      name: 'Solar Proof',
      secret: SOLARPROOF.secret,
    });
    const contact = (id: number, email: string) =>
      OPENSOLAR.sign(
        OPENSOLAR.secret,
        JSON.stringify({
          contact: { id, first_name: 'Ann', family_name: 'Lee', email, phone: '0400 000 000' },
        }),
      );
    const accepted = async (response: Response) =>
      assert.equal(response.status, 200, `${response.status} ${await response.clone().text()}`);

    // The first record: a unified customer of one, created.
    await accepted(await send(urls.ingest, opensolar['id']!, contact(77, 'Ann.Lee@Example.com')));
    await receiver.waitFor(() => receiver.events(path).length >= 1, 60_000, 'the unified customer created');
    const [created] = receiver.events(path) as unknown as Webhook[];
    assert.equal(created!.type, 'unified_customer.created');
    assert.equal(created!.data.unified_customer?.['email'], 'ann.lee@example.com', 'email normalised');
    assert.equal(created!.data.unified_customer?.['first_name'], 'Ann', 'the whole merged document');

    // The same person at Solar Proof: linked by email, and the merged document gains a status.
    await accepted(
      await send(
        urls.ingest,
        solarproof['id']!,
        SOLARPROOF.sign(
          SOLARPROOF.secret,
          JSON.stringify({
            event: 'customer_created',
            data: {
              customer_id: 'C-501',
              first_name: 'Ann',
              last_name: 'Lee',
              email: 'ann.lee@example.com',
              status: 'New Contacts',
            },
          }),
        ),
      ),
    );
    await receiver.waitFor(() => receiver.events(path).length >= 2, 60_000, 'the merged change');
    await eventually(async () => (await unified('solarproof:C-501'))?.members.length === 2, 30_000);
    const updated = receiver.events(path)[1] as unknown as Webhook;
    assert.equal(updated.type, 'unified_customer.updated');
    assert.equal(updated.subject, created!.subject, 'the same unified record');
    assert.ok(
      updated.data.changed_fields.includes('unified_customer.status'),
      updated.data.changed_fields.join(),
    );
    assert.ok(updated.data.changed_fields.every((field) => field.startsWith('unified_customer.')));
    assert.equal(updated.data.unified_customer?.['status'], 'New Contacts');

    // A further record of the person (a duplicate contact at OpenSolar) whose every value is the
    // merged one already (its email spelt another way, which the merge normalises): it joins the
    // unified customer, and no merged field changes, so no unified_customer change is published.
    await accepted(await send(urls.ingest, opensolar['id']!, contact(78, ' ANN.Lee@example.com ')));
    await eventually(async () => (await unified('opensolar:78'))?.members.length === 3, 30_000);
    assert.equal((await unified('opensolar:78'))?.id, updated.subject);
    // Long enough for the dispatcher (polling every 50 ms) to have sent anything it matched.
    await pause(3_000);
    assert.deepEqual(
      receiver.events(path).map((event) => event['type']),
      ['unified_customer.created', 'unified_customer.updated'],
      'exactly one webhook for the merged change, none for the record that changed nothing merged',
    );
  });
});
