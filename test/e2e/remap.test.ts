import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventBus } from '@hub/bus';
import { createDataSource } from '@hub/persistence';
import type { DataSource } from 'typeorm';
import { INGEST_SCHEMA } from '../../apps/ingest/src/ingest.schema.js';
import type { Provider } from '../../apps/ingest/src/providers/provider.js';
import { PROVIDER_REGISTRY } from '../../apps/ingest/src/providers/registry.js';
import { remapUnmapped } from '../../apps/ingest/src/remap/remap.js';
import { startApps, type RunningApps } from '../support/app-process.js';
import { eventually, pause, unique } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { PROVIDER_CASES, send } from '../support/provider-requests.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { TEST_TOPIC_PREFIX } from '../support/topic-prefix.js';

/**
 * Schema drift end to end: a Solar Proof event type no adapter knows is kept, not refused; once
 * the adapter learns it, a remap projects it, once, however often the remap runs. Ingest and the
 * projector are processes; the remap runs in this process, because the adapter change is the
 * test's own (the Solar Proof adapter here also maps `invoice_paid`, the way a release that adds
 * it would), and the CLI would load the adapters as shipped.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const SOLARPROOF = PROVIDER_CASES.find((c) => c.provider === 'solarproof')!;

/** The adapter as shipped, and the same adapter after a release that maps `invoice_paid`. */
const shipped = PROVIDER_REGISTRY.solarproof;
class PayloadWithInvoices {
  [field: string]: unknown;
}
const learnsInvoices: Provider = {
  ...shipped,
  payload: PayloadWithInvoices,
  map(payload, request, source) {
    const body = payload as { type_request?: string; data?: Record<string, unknown> };
    if (body.type_request !== 'invoice_paid') return shipped.map(payload, request, source);
    const projectId = String(body.data?.['project_id']);
    return {
      kind: 'events',
      events: [
        {
          topic: 'projects',
          type: 'activity.invoice_paid',
          externalId: projectId,
          data: { project_external_id: projectId, provider_event: 'invoice_paid', details: body.data },
        },
      ],
    };
  },
};

for (const transport of cases) {
  describe(`remap [${transport.name}]`, { skip: transport.skip ?? false, timeout: 240_000 }, () => {
    let fixture: TransportFixture;
    let apps: RunningApps;
    let urls: RunningApps['urls'];
    let bus: EventBus;
    let ingestTables: DataSource;
    let tenant: Tenant;

    before(async () => {
      fixture = await transport.setup();
      apps = await startApps(['ingest', 'projector'], fixture.env);
      urls = apps.urls;
      tenant = await createTenant(fixture.env, 'Schema drift');
      bus = await fixture.createBus('remap-test');
      // As the CLI's ingest commands open it: with ingest's entities.
      ingestTables = await createDataSource({
        url: fixture.env['DATABASE_URL']!,
        applicationName: 'remap-test',
        entities: INGEST_SCHEMA.entities ?? [],
        migrations: [],
      }).initialize();
    });
    after(async () => {
      PROVIDER_REGISTRY.solarproof = shipped;
      await apps?.stop();
      await bus?.close();
      await ingestTables?.destroy();
      await fixture?.close();
    });

    const api = async (base: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const activities = async (projectId: string) => {
      const answer = await api(urls.projector, `/v1/projects/solarproof:${projectId}/activity`);
      return answer.status === 200 ? (answer.body['data'] as Array<{ type: string; event_id: string }>) : [];
    };

    test(`[${transport.name}] an unknown Solar Proof event type is kept unmapped, and after the adapter learns it a remap projects it once`, async () => {
      const source = await api(urls.ingest, '/v1/sources', {
        provider: 'solarproof',
        name: unique('solarproof'),
        secret: SOLARPROOF.secret,
      });
      assert.equal(source.status, 201, JSON.stringify(source.body));
      const sourceId = String(source.body['id']);
      const projectId = unique('P');
      const delivery = JSON.stringify({
        type_request: 'invoice_paid',
        data: { project_id: projectId, amount: 1200 },
      });

      const answer = await send(urls.ingest, sourceId, SOLARPROOF.sign(SOLARPROOF.secret, delivery));
      assert.equal(answer.status, 200, 'Solar Proof counts only a 200 as received');
      const body = (await answer.json()) as { accepted: number; unmapped: boolean; reason: string };
      assert.equal(body.accepted, 0);
      assert.equal(body.unmapped, true);
      assert.match(body.reason, /type_request/);
      await eventually(async () => {
        const listed = await api(urls.ingest, `/v1/sources/${sourceId}/unmapped`);
        return (listed.body['data'] as unknown[]).length === 1;
      });

      PROVIDER_REGISTRY.solarproof = learnsInvoices;
      const remap = () => remapUnmapped(ingestTables, bus, { topicPrefix: TEST_TOPIC_PREFIX, sourceId });
      assert.deepEqual(await remap(), { read: 1, remapped: 1, still_unmapped: 0, events: 1 });
      await eventually(async () => (await activities(projectId)).length === 1, 60_000);
      const [activity] = await activities(projectId);
      assert.equal(activity!.type, 'activity.invoice_paid');

      // Remapping again publishes the same event id: the projector applies it no second time.
      assert.deepEqual(await remap(), { read: 1, remapped: 1, still_unmapped: 0, events: 1 });
      await pause(3_000);
      assert.deepEqual(
        (await activities(projectId)).map((entry) => entry.event_id),
        [activity!.event_id],
        'projected once',
      );
    });
  });
}
