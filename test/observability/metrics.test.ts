import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventBus } from '@hub/bus';
import { startApps, type RunningApps } from '../support/app-process.js';
import { asMessage, canonicalEvent } from '../support/canonical-events.js';
import { eventually, pause, unique } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { scrape, samplesOf, sumOf, type Sample } from '../support/prometheus.js';
import { PROVIDER_CASES, PYLON_BATCH, send } from '../support/provider-requests.js';
import { Receiver, type Received } from '../support/receiver.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { TEST_GROUP_IDS, TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * /metrics of the three apps as processes, on each transport, before and after a known scenario:
 * two accepted Pylon batches (four events, three state changes), two requests with a bad
 * signature, one unmapped body, one request for a source that does not exist, an invalid message
 * and a poison event on the monitoring topic, and three subscriptions to the new projects: one
 * that answers 200, one that answers 500 once, one that always answers 500 (one retry, then the
 * delivery is dead). Every counter must move by exactly what the scenario causes. The Postgres-log
 * run labels per-tenant metrics with the tenant (METRICS_TENANT_LABELS=true), the Kafka run does not.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const TOPICS = TEST_TOPICS;
const PYLON = PROVIDER_CASES.find((c) => c.provider === 'pylon-observer')!;
const APPS = ['ingest', 'projector', 'dispatcher'] as const;
type App = (typeof APPS)[number];

for (const transport of cases) {
  const tenantLabels = transport.name === 'postgres-log';
  describe(`metrics [${transport.name}]`, { skip: transport.skip ?? false, timeout: 300_000 }, () => {
    let fixture: TransportFixture;
    let running: RunningApps | undefined;
    let urls = {} as Record<App, string>;
    let receiver: Receiver;
    let tenant: Tenant;
    let bus: EventBus;

    before(async () => {
      fixture = await transport.setup();
      receiver = await new Receiver().start();
      running = await startApps([...APPS], {
        ...fixture.env,
        OUTBOUND_ALLOW_HTTP: 'true',
        OUTBOUND_ALLOW_PRIVATE: 'true',
        // One retry: a delivery failing twice is exhausted.
        DISPATCH_RETRY_SCHEDULE: '300ms',
        DISPATCH_RETRY_JITTER: '0',
        DISPATCH_POLL_INTERVAL: '50ms',
        METRICS_TENANT_LABELS: String(tenantLabels),
        // Not the default (0): the projector's counters come from lane threads, summed at each scrape.
        PROJECTOR_CONSUMERS: '2',
        // Unified records change once per batch, however many of a record's versions it holds: how
        // the two Pylon deliveries fall into batches would move the state-change counters.
        UNIFIED_RECORDS: 'off',
        LOG_LEVEL: 'warn',
      });
      urls = running.urls;
      tenant = await createTenant(fixture.env, 'Metrics tenant');
      bus = await fixture.createBus('metrics-test');
    });
    after(async () => {
      await running?.stop();
      await receiver?.stop();
      await fixture?.close();
    });

    const api = async (app: App, method: string, path: string, body: unknown) => {
      const response = await fetch(`${urls[app]}${path}`, {
        method,
        headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
      return (await response.json()) as Record<string, string>;
    };
    const subscribe = (path: string) =>
      api('dispatcher', 'POST', '/v1/subscriptions', {
        endpoint: receiver.url(path),
        event_types: ['project.created'],
      });
    const scrapeAll = async () =>
      Object.fromEntries(
        await Promise.all(APPS.map(async (app) => [app, await scrape(urls[app])])),
      ) as Record<App, Sample[]>;
    const webhooks = (path: string) => receiver.at(path).filter((r) => !r.body.includes('webhook.validate'));

    test(`[${transport.name}] every counter moves by exactly what a known scenario causes; lag, gauges and lane threads included`, async () => {
      const paths = { ok: `/${unique('ok')}`, flaky: `/${unique('flaky')}`, dead: `/${unique('dead')}` };
      for (const path of Object.values(paths)) await subscribe(path);
      const off = await subscribe(`/${unique('off')}`);
      // Set after the handshakes, which must pass: the first webhook fails once, the other always.
      let flakyFailed = false;
      receiver.on(paths.flaky, (request: Received) => {
        if (request.body.includes('webhook.validate') || flakyFailed) return { status: 200 };
        flakyFailed = true;
        return { status: 500 };
      });
      receiver.on(paths.dead, { status: 500 });
      const source = await api('ingest', 'POST', '/v1/sources', {
        provider: 'pylon-observer',
        name: 'Pylon',
        secret: PYLON.secret,
      });
      const sourceId = source['id']!;
      const before = await scrapeAll();

      await api('dispatcher', 'PATCH', `/v1/subscriptions/${off['id']}`, { enabled: false });
      const changed = JSON.parse(PYLON_BATCH) as { projects: Array<Record<string, unknown>> };
      changed.projects[0]!['reference_number'] = 'Q142-B';
      for (const body of [PYLON_BATCH, JSON.stringify(changed)]) {
        const response = await send(urls.ingest, sourceId, PYLON.sign(PYLON.secret, body));
        assert.equal(response.status, 200, await response.text());
      }
      for (let i = 0; i < 2; i++) {
        const forged = await send(
          urls.ingest,
          sourceId,
          PYLON.sign('not-the-secret-of-this-source', PYLON_BATCH),
        );
        assert.equal(forged.status, 401);
      }
      const unmapped = await send(urls.ingest, sourceId, PYLON.sign(PYLON.secret, '{"unexpected": true}'));
      assert.equal(((await unmapped.json()) as { unmapped?: boolean }).unmapped, true);
      assert.equal((await send(urls.ingest, 'src_nosuchsource', PYLON.request(PYLON.secret))).status, 404);
      const poison = canonicalEvent({
        tenant: tenant.tenant_id,
        provider: 'observer',
        type: 'monitoring.agent.offline',
        externalId: unique('poison'),
        data: { monitor_kind: 'agent', name: 'x\ud800' },
      });
      await bus.publish(TOPICS.monitoring, [
        { key: `${tenant.tenant_id}/observer:invalid`, value: 'not a canonical event' },
        asMessage(poison),
      ]);

      await receiver.waitFor(
        () =>
          webhooks(paths.ok).length >= 2 &&
          webhooks(paths.flaky).length >= 3 &&
          webhooks(paths.dead).length >= 4,
        60_000,
        'every attempt',
      );
      const moved = (
        after: Record<App, Sample[]>,
        app: App,
        name: string,
        labels: Record<string, string> = {},
      ) => sumOf(after[app], name, labels) - sumOf(before[app], name, labels);
      const expected: Array<[App, string, Record<string, string>, number]> = [
        [
          'ingest',
          'hub_ingest_deliveries_total',
          { provider: 'pylon-observer', outcome: 'accepted', reason: '' },
          2,
        ],
        [
          'ingest',
          'hub_ingest_deliveries_total',
          { provider: 'pylon-observer', outcome: 'rejected', reason: 'unauthorized_mismatch' },
          2,
        ],
        [
          'ingest',
          'hub_ingest_deliveries_total',
          { provider: 'pylon-observer', outcome: 'unmapped', reason: 'invalid_payload' },
          1,
        ],
        [
          'ingest',
          'hub_ingest_deliveries_total',
          { provider: 'unknown', outcome: 'rejected', reason: 'unknown_source' },
          1,
        ],
        ['ingest', 'hub_ingest_deliveries_total', {}, 6],
        ['ingest', 'hub_ingest_events_published_total', { provider: 'pylon-observer' }, 4],
        // The raw delivery of each accepted and unmapped request; the canonical events in one call per request.
        ['ingest', 'hub_bus_publish_duration_seconds_count', { topic: TOPICS.rawDeliveries }, 3],
        ['ingest', 'hub_bus_publish_batch_size_count', { topic: TOPICS.projects }, 2],
        ['ingest', 'hub_bus_publish_batch_size_sum', { topic: TOPICS.projects }, 4],
        // Counted on the projector's lane threads, summed into its /metrics.
        ['projector', 'hub_projector_events_applied_total', { provider: 'pylon-observer' }, 4],
        ['projector', 'hub_projector_events_applied_total', {}, 4],
        ['projector', 'hub_projector_state_changes_published_total', { entity_type: 'project' }, 3],
        ['projector', 'hub_projector_state_changes_published_total', {}, 3],
        ['projector', 'hub_bus_publish_batch_size_sum', { topic: TOPICS.stateChanges }, 3],
        ['projector', 'hub_bus_publish_batch_size_sum', { topic: TOPICS.deadLetters }, 2],
        [
          'projector',
          'hub_bus_messages_handled_total',
          { group: TEST_GROUP_IDS.projector, topic: TOPICS.projects, outcome: 'handled' },
          4,
        ],
        [
          'projector',
          'hub_bus_messages_handled_total',
          { group: TEST_GROUP_IDS.projector, topic: TOPICS.monitoring, outcome: 'dead_lettered' },
          2,
        ],
        ['projector', 'hub_bus_messages_handled_total', {}, 6],
        [
          'projector',
          'hub_bus_dead_letters_total',
          { group: TEST_GROUP_IDS.projector, topic: TOPICS.monitoring, reason: 'invalid' },
          1,
        ],
        [
          'projector',
          'hub_bus_dead_letters_total',
          { group: TEST_GROUP_IDS.projector, topic: TOPICS.monitoring, reason: 'poison' },
          1,
        ],
        ['projector', 'hub_bus_dead_letters_total', {}, 2],
        // Three state changes, and the two deliveries that were exhausted, announced on the same topic.
        [
          'dispatcher',
          'hub_bus_messages_handled_total',
          { group: TEST_GROUP_IDS.dispatcher, topic: TOPICS.stateChanges, outcome: 'handled' },
          5,
        ],
        ['dispatcher', 'hub_bus_messages_handled_total', {}, 5],
        ['dispatcher', 'hub_dispatcher_attempts_total', { outcome: 'succeeded', status_class: '2xx' }, 4],
        ['dispatcher', 'hub_dispatcher_attempts_total', { outcome: 'failed', status_class: '5xx' }, 3],
        ['dispatcher', 'hub_dispatcher_attempts_total', { outcome: 'exhausted', status_class: '5xx' }, 2],
        ['dispatcher', 'hub_dispatcher_attempts_total', {}, 9],
        ['dispatcher', 'hub_dispatcher_delivery_latency_seconds_count', {}, 4],
        ['dispatcher', 'hub_dispatcher_subscriptions_disabled_total', { reason: 'api' }, 1],
        ['dispatcher', 'hub_dispatcher_subscriptions_disabled_total', {}, 1],
      ];
      const differences = (after: Record<App, Sample[]>) =>
        expected
          .map(([app, name, labels, delta]) => ({
            app,
            name,
            labels,
            delta,
            moved: moved(after, app, name, labels),
          }))
          .filter(({ delta, moved: actual }) => actual !== delta);
      let after = await scrapeAll();
      await eventually(async () => {
        after = await scrapeAll();
        return differences(after).length === 0;
      }, 60_000).catch(() => undefined);
      // Settled: nothing more may come (a message counted twice, an attempt too many).
      await pause(1_500);
      after = await scrapeAll();
      assert.deepEqual(differences(after), [], 'counters that did not move by what the scenario causes');

      for (const [app, group] of [
        ['projector', TEST_GROUP_IDS.projector],
        ['dispatcher', TEST_GROUP_IDS.dispatcher],
      ] as const) {
        assert.ok(
          moved(after, app, 'hub_bus_handler_duration_seconds_count', { group }) >= 1,
          `${group} batches timed`,
        );
      }
      assert.ok(moved(after, 'projector', 'hub_projector_apply_duration_seconds_count') >= 1, 'apply timed');
      assert.ok(
        moved(after, 'ingest', 'hub_bus_publish_duration_seconds_count', { topic: TOPICS.projects }) === 2,
      );

      // Scrape-time gauges: the subscriptions as they stand, nothing left open, no request in flight.
      assert.equal(sumOf(after.dispatcher, 'hub_dispatcher_subscriptions', { status: 'enabled' }), 3);
      assert.equal(sumOf(after.dispatcher, 'hub_dispatcher_subscriptions', { status: 'disabled' }), 1);
      assert.equal(samplesOf(after.dispatcher, 'hub_dispatcher_deliveries').length, 2);
      assert.equal(sumOf(after.dispatcher, 'hub_dispatcher_deliveries'), 0);
      assert.equal(samplesOf(after.dispatcher, 'hub_dispatcher_send_slots_in_use').length, 1);

      // Lag per group, topic and partition, every partition of every topic the app consumes, all read.
      const lagTopics = (app: App, group: string) =>
        new Set(samplesOf(after[app], 'hub_bus_consumer_lag', { group }).map((s) => s.labels['topic']));
      assert.deepEqual(
        lagTopics('projector', TEST_GROUP_IDS.projector),
        new Set([TOPICS.projects, TOPICS.customers, TOPICS.monitoring]),
      );
      assert.deepEqual(
        lagTopics('projector', `${TEST_GROUP_IDS.projector}.slow`),
        new Set([TOPICS.slowProjects, TOPICS.slowCustomers, TOPICS.slowMonitoring]),
      );
      assert.deepEqual(lagTopics('dispatcher', TEST_GROUP_IDS.dispatcher), new Set([TOPICS.stateChanges]));
      assert.equal(sumOf(after.ingest, 'hub_bus_consumer_lag'), 0);
      await eventually(async () => {
        const now = await scrapeAll();
        return (
          sumOf(now.projector, 'hub_bus_consumer_lag') === 0 &&
          sumOf(now.dispatcher, 'hub_bus_consumer_lag') === 0
        );
      }, 30_000);
      assert.ok(
        samplesOf(after.projector, 'hub_bus_consumer_lag', { group: TEST_GROUP_IDS.projector }).length >= 3,
      );

      // Per-tenant labels only when asked for.
      for (const [app, name] of [
        ['ingest', 'hub_ingest_deliveries_total'],
        ['dispatcher', 'hub_dispatcher_attempts_total'],
      ] as const) {
        const samples = samplesOf(after[app], name);
        assert.ok(samples.length > 0, name);
        for (const sample of samples) {
          if (!tenantLabels) assert.equal(sample.labels['tenant_id'], undefined, `${name} has no tenant_id`);
          else if (sample.labels['provider'] !== 'unknown')
            assert.equal(sample.labels['tenant_id'], tenant.tenant_id);
        }
      }
      for (const app of APPS) {
        for (const sample of after[app])
          assert.equal(sample.labels['app'], app, `${sample.name} carries app`);
      }
    });
  });
}
