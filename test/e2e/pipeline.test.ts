import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { pause, unique } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { PROVIDER_CASES, PYLON_BATCH, send } from '../support/provider-requests.js';
import { Receiver } from '../support/receiver.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { transportCases, type TransportFixture } from '../support/transports.js';

/**
 * The whole pipeline, each app its own process, on each transport: a signed Pylon Observer batch
 * into ingest comes out of the dispatcher as signed webhooks to a local receiver, each scheme's
 * signature checked by an implementation that is not ours.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const PYLON = PROVIDER_CASES.find((c) => c.provider === 'pylon-observer')!;

for (const transport of cases) {
  describe(`pipeline [${transport.name}]`, { skip: transport.skip ?? false, timeout: 240_000 }, () => {
    let fixture: TransportFixture;
    const apps: AppProcess[] = [];
    const urls: Record<'ingest' | 'projector' | 'dispatcher', string> = {
      ingest: '',
      projector: '',
      dispatcher: '',
    };
    let receiver: Receiver;
    let tenant: Tenant;

    before(async () => {
      fixture = await transport.setup();
      receiver = await new Receiver().start();
      const secretsKey = randomBytes(32).toString('base64');
      for (const name of ['ingest', 'projector', 'dispatcher'] as const) {
        const port = await freePort();
        urls[name] = `http://127.0.0.1:${port}`;
        apps.push(
          runProcess(`dist/apps/${name}/src/main.js`, {
            ...fixture.env,
            SECRETS_KEY: secretsKey,
            [`${name.toUpperCase()}_PORT`]: String(port),
            OUTBOUND_ALLOW_HTTP: 'true',
            OUTBOUND_ALLOW_PRIVATE: 'true',
            DISPATCH_POLL_INTERVAL: '50ms',
            LOG_LEVEL: 'warn',
          }),
        );
      }
      await Promise.all(Object.values(urls).map((url) => waitForHealthy(url, 60_000)));
      tenant = await createTenant(fixture.env, 'Pipeline tenant');
    });
    after(async () => {
      for (const app of apps) await app.stop('SIGTERM');
      await receiver?.stop();
      await fixture?.close();
    });

    const post = async (app: keyof typeof urls, path: string, body: unknown) => {
      const response = await fetch(`${urls[app]}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 201, await response.clone().text());
      return (await response.json()) as Record<string, string>;
    };

    test(`[${transport.name}] a signed Pylon batch reaches subscribers as signed webhooks of every scheme; a resent batch sends nothing; a real change sends its fields`, async () => {
      const paths = {
        standard: `/${unique('sw')}`,
        hex: `/${unique('hex')}`,
        shared: `/${unique('shared')}`,
      };
      const standard = await post('dispatcher', '/v1/subscriptions', {
        endpoint: receiver.url(paths.standard),
      });
      const hex = await post('dispatcher', '/v1/subscriptions', {
        endpoint: receiver.url(paths.hex),
        signature_scheme: 'hmac-sha256-hex',
        payload_fields: ['project.reference_number'],
      });
      const shared = await post('dispatcher', '/v1/subscriptions', {
        endpoint: receiver.url(paths.shared),
        signature_scheme: 'shared-secret-header',
        trigger_fields: ['project.reference_number'],
      });
      for (const subscription of [standard, hex, shared]) assert.equal(subscription['status'], 'active');
      const source = await post('ingest', '/v1/sources', {
        provider: 'pylon-observer',
        name: 'Pylon',
        secret: PYLON.secret,
      });

      const accepted = await send(urls.ingest, source['id']!, PYLON.sign(PYLON.secret, PYLON_BATCH));
      assert.equal(accepted.status, 200, await accepted.clone().text());
      await receiver.waitFor(
        () => Object.values(paths).every((path) => receiver.events(path).length >= 2),
        60_000,
        'both projects at every subscriber',
      );

      for (const event of receiver.events(paths.standard)) {
        const verified = new Webhook(standard['secret']!).verify(
          event.received.body,
          event.received.headers as Record<string, string>,
        ) as Record<string, unknown>;
        assert.equal(verified['type'], 'project.created');
        assert.equal(event.received.headers['webhook-id'], verified['id']);
      }
      const subjects = receiver
        .events(paths.standard)
        .map((e) => e['subject'])
        .sort();
      assert.deepEqual(subjects, ['pylon-observer:TQ3YtwhB', 'pylon-observer:ndd1MMGi']);
      for (const event of receiver.events(paths.hex)) {
        const expected = createHmac('sha256', hex['secret']!).update(event.received.body).digest('hex');
        assert.equal(event.received.headers['x-signature'], `sha256=${expected}`);
        const project = (event['data'] as Record<string, Record<string, unknown>>)['project']!;
        assert.deepEqual(Object.keys(project), ['reference_number'], 'payload_fields only');
      }
      for (const event of receiver.events(paths.shared)) {
        assert.equal(event.received.headers['x-webhook-secret'], shared['secret']);
      }

      // Pylon resends the same projects in its next batch: nothing changed, nothing is sent.
      const resent = await send(urls.ingest, source['id']!, PYLON.sign(PYLON.secret, PYLON_BATCH));
      assert.equal(resent.status, 200);
      const changedBatch = JSON.parse(PYLON_BATCH) as { projects: Array<Record<string, unknown>> };
      changedBatch.projects[0]!['reference_number'] = 'Q142-B';
      const changed = await send(
        urls.ingest,
        source['id']!,
        PYLON.sign(PYLON.secret, JSON.stringify(changedBatch)),
      );
      assert.equal(changed.status, 200);
      await receiver.waitFor(() => receiver.events(paths.shared).length >= 3, 60_000, 'the reference change');
      await pause(1_000);
      const updates = receiver.events(paths.standard).filter((e) => e['type'] === 'project.updated');
      assert.equal(updates.length, 1, 'the unchanged resend sent nothing');
      assert.deepEqual((updates[0]!['data'] as Record<string, unknown>)['changed_fields'], [
        'project.reference_number',
      ]);
      assert.equal(receiver.events(paths.standard).length, 3);
    });
  });
}
