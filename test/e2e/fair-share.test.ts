import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventBus } from '@hub/bus';
import { canonicalTopics } from '@hub/contracts';
import { startApps, type RunningApps } from '../support/app-process.js';
import { collect, eventually, unique, type Collector } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { PROVIDER_CASES, send } from '../support/provider-requests.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * A tenant beyond its fair share is slowed, never refused: ingest and the projector as processes
 * on each transport, with a fair share small enough to cross with a few requests. The tenant's
 * surplus goes to the slow-lane topics (and stays there while it keeps sending), another tenant's
 * events stay on the main lane, and the projector applies both.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const TOPICS = TEST_TOPICS;
const PYLON = PROVIDER_CASES.find((c) => c.provider === 'pylon-observer')!;
const BURST = 10;

/** A signed Pylon batch of `count` new projects. */
const batch = (prefix: string, count: number) =>
  PYLON.sign(
    PYLON.secret,
    JSON.stringify({
      team: { uid: 'team', name: 'Fair share' },
      projects: Array.from({ length: count }, (_, i) => ({ uid: `${prefix}-${i}`, designs: [] })),
    }),
  );

for (const transport of cases) {
  describe(`fair share [${transport.name}]`, { skip: transport.skip ?? false, timeout: 240_000 }, () => {
    let fixture: TransportFixture;
    let apps: RunningApps;
    let urls: RunningApps['urls'];
    let bus: EventBus;
    let canonical: Collector;
    let flooder: Tenant;
    let bystander: Tenant;

    before(async () => {
      fixture = await transport.setup();
      apps = await startApps(['ingest', 'projector'], {
        ...fixture.env,
        INGEST_TENANT_EVENT_RATE: '1',
        INGEST_TENANT_EVENT_BURST: String(BURST),
      });
      urls = apps.urls;
      flooder = await createTenant(fixture.env, 'Flooder');
      bystander = await createTenant(fixture.env, 'Bystander');
      bus = await fixture.createBus('fair-share-reader');
      canonical = (await collect(bus, unique('fair'), canonicalTopics(TOPICS))).collector;
    });
    after(async () => {
      await apps?.stop();
      await fixture?.close();
    });

    const createSource = async (tenant: Tenant, settings: Record<string, string> = {}) => {
      const response = await fetch(`${urls.ingest}/v1/sources`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          provider: 'pylon-observer',
          name: unique('pylon'),
          secret: PYLON.secret,
          settings,
        }),
      });
      assert.equal(response.status, 201, await response.clone().text());
      return ((await response.json()) as { id: string }).id;
    };
    const accepted = async (source: string, prefix: string, count: number) => {
      const response = await send(urls.ingest, source, batch(prefix, count));
      assert.equal(response.status, 200, await response.clone().text());
      return ((await response.json()) as { event_ids: string[] }).event_ids;
    };
    const topicsOf = async (eventIds: string[]) => {
      await canonical.waitFor((messages) =>
        eventIds.every((id) => messages.some((m) => m.headers['ce-id'] === id)),
      );
      return new Set(
        canonical.messages.filter((m) => eventIds.includes(m.headers['ce-id']!)).map((m) => m.topic),
      );
    };
    const projectCount = async (tenant: Tenant) => {
      const response = await fetch(`${urls.projector}/v1/projects?limit=100`, {
        headers: { authorization: `Bearer ${tenant.api_key}` },
      });
      return ((await response.json()) as { data: unknown[] }).data.length;
    };

    test(`[${transport.name}] a tenant over its share goes to the slow lane and stays there; another tenant does not; nothing is lost`, async () => {
      const flooderSource = await createSource(flooder);
      const bystanderSource = await createSource(bystander);

      const withinBurst = await accepted(flooderSource, 'within', BURST);
      assert.deepEqual([...(await topicsOf(withinBurst))], [TOPICS.projects], 'the burst is its share');
      const surplus = await accepted(flooderSource, 'surplus', 30);
      assert.deepEqual([...(await topicsOf(surplus))], [TOPICS.slowProjects], 'over its share: slow lane');
      const next = await accepted(flooderSource, 'next', 1);
      assert.deepEqual([...(await topicsOf(next))], [TOPICS.slowProjects], 'sticky until its bucket refills');

      const other = await accepted(bystanderSource, 'other', 2);
      assert.deepEqual([...(await topicsOf(other))], [TOPICS.projects], 'another tenant keeps the main lane');

      // Slowed, not refused: every accepted event is projected.
      await eventually(async () => (await projectCount(flooder)) === BURST + 30 + 1, 60_000);
      await eventually(async () => (await projectCount(bystander)) === 2, 60_000);
    });

    test(`[${transport.name}] a source that opts for retry-later gets 429 with Retry-After while its tenant is over its share, and nothing is published`, async () => {
      const retrying = await createSource(flooder, { over_share: 'retry-later' });
      // Over its share again now (the first test may have left time for its bucket to refill),
      // and refused at once, well within the second its bucket takes to gain one event.
      const surplus = await accepted(await createSource(flooder), unique('again'), BURST + 5);
      const refused = unique('refused');
      const response = await send(urls.ingest, retrying, batch(refused, 3));
      assert.deepEqual([...(await topicsOf(surplus))], [TOPICS.slowProjects]);
      assert.equal(response.status, 429, await response.clone().text());
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.ok(Number(response.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
      const bystanderRetrying = await createSource(bystander, { over_share: 'retry-later' });
      const taken = await accepted(bystanderRetrying, unique('taken'), 2);
      assert.deepEqual(
        [...(await topicsOf(taken))],
        [TOPICS.projects],
        'a tenant within its share is not refused',
      );
      // Published after the refusal and already read: the refused request's events would be too.
      assert.ok(
        !canonical.messages.some((m) => m.value.toString().includes(refused)),
        'nothing published for the refused request',
      );
    });
  });
}
