import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ConsumedMessage, EventBus } from '@hub/bus';
import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { collect, eventually, pause, unique, type Collector } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { PROVIDER_CASES, send, type ProviderCase } from '../support/provider-requests.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * Ingest as a process on each transport: providers' requests in over HTTP, canonical events read
 * back from the bus by a consumer of our own.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const TOPICS = TEST_TOPICS;
const MAX_EVENTS = 50;
/** Above what the tests make for tenant A (about 25 sources), so only the quota test reaches it. */
const SOURCE_QUOTA = 40;

for (const transport of cases) {
  describe(`ingest [${transport.name}]`, { skip: transport.skip ?? false, timeout: 240_000 }, () => {
    let fixture: TransportFixture;
    let app: AppProcess;
    let base: string;
    let bus: EventBus;
    let canonical: Collector;
    let raw: Collector;
    let tenantA: Tenant;
    let tenantB: Tenant;
    /** Every event id and raw delivery id an accepted request answered with. */
    const acceptedEventIds = new Set<string>();

    before(async () => {
      fixture = await transport.setup();
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      app = runProcess('dist/apps/ingest/src/main.js', {
        ...fixture.env,
        SECRETS_KEY: randomBytes(32).toString('base64'),
        INGEST_PORT: String(port),
        INGEST_BODY_LIMIT_BYTES: String(64 * 1024),
        INGEST_MAX_EVENTS_PER_REQUEST: String(MAX_EVENTS),
        INGEST_SOURCE_QUOTA: String(SOURCE_QUOTA),
        LOG_LEVEL: 'warn',
      });
      await waitForHealthy(base, 60_000);
      tenantA = await createTenant(fixture.env, 'Tenant A');
      tenantB = await createTenant(fixture.env, 'Tenant B');
      bus = await fixture.createBus('ingest-test-reader');
      canonical = (
        await collect(bus, unique('reader'), [TOPICS.projects, TOPICS.customers, TOPICS.monitoring])
      ).collector;
      raw = (await collect(bus, unique('raw-reader'), [TOPICS.rawDeliveries])).collector;
    });
    after(async () => {
      await app?.stop('SIGTERM');
      await fixture?.close();
    });

    async function createSource(tenant: Tenant, providerCase: ProviderCase, name = providerCase.provider) {
      const response = await fetch(`${base}/v1/sources`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          provider: providerCase.provider,
          name,
          secret: providerCase.secret,
          ...(providerCase.settings ? { settings: providerCase.settings } : {}),
        }),
      });
      assert.equal(response.status, 201, await response.clone().text());
      return (await response.json()) as { id: string; ingest_url: string };
    }

    async function statsOf(tenant: Tenant, sourceId: string): Promise<SourceStats> {
      const response = await fetch(`${base}/v1/sources/${sourceId}/stats`, {
        headers: { authorization: `Bearer ${tenant.api_key}` },
      });
      assert.equal(response.status, 200);
      return (await response.json()) as SourceStats;
    }

    async function unmappedOf(tenant: Tenant, sourceId: string, query = ''): Promise<UnmappedPage> {
      const response = await fetch(`${base}/v1/sources/${sourceId}/unmapped${query ? `?${query}` : ''}`, {
        headers: { authorization: `Bearer ${tenant.api_key}` },
      });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as UnmappedPage;
    }

    for (const providerCase of PROVIDER_CASES) {
      test(`[${transport.name}] ${providerCase.provider}: a request built as its document describes becomes canonical events on the bus`, async () => {
        const source = await createSource(tenantA, providerCase);
        const response = await send(base, source.id, providerCase.request(providerCase.secret));
        assert.equal(response.status, 200, await response.clone().text());
        const answer = (await response.json()) as { accepted: number; event_ids: string[] };
        assert.equal(answer.accepted, providerCase.expected.length);
        answer.event_ids.forEach((id) => acceptedEventIds.add(id));

        await canonical.waitFor((messages) =>
          answer.event_ids.every((id) => messages.some((m) => jsonOf(m).id === id)),
        );
        for (const [index, expected] of providerCase.expected.entries()) {
          const message = canonical.messages.find((m) => jsonOf(m).id === answer.event_ids[index])!;
          const event = jsonOf(message);
          assert.equal(message.topic, TOPICS[expected.topic]);
          assert.equal(message.key, `${tenantA.tenant_id}/${expected.subject}`);
          assert.equal(message.headers['content-type'], 'application/cloudevents+json');
          assert.equal(event['specversion'], '1.0');
          assert.equal(event['type'], expected.type);
          assert.equal(event['subject'], expected.subject);
          assert.equal(event['tenant'], tenantA.tenant_id);
          assert.equal(event['provider'], providerCase.provider);
          assert.equal(event['source'], `/sources/${source.id}`);
          assert.equal((event['data'] as Record<string, unknown>)['id'], expected.subject);
        }

        await raw.waitFor((messages) => messages.some((m) => jsonOf(m)['source'] === source.id));
        const delivery = jsonOf(raw.messages.find((m) => jsonOf(m)['source'] === source.id)!);
        assert.deepEqual(delivery['event_ids'], answer.event_ids);
        assert.equal(
          Buffer.from(String(delivery['body_base64']), 'base64').toString(),
          providerCase.request(providerCase.secret).body,
        );
        assert.ok(!JSON.stringify(delivery).includes(providerCase.secret), 'no secret on the raw topic');
      });

      test(`[${transport.name}] ${providerCase.provider}: bad requests get their documented status and publish nothing`, async () => {
        const source = await createSource(tenantA, providerCase, `${providerCase.provider} (bad input)`);
        const otherTenants = await createSource(tenantB, {
          ...providerCase,
          secret: anotherSecret(providerCase),
        });
        const valid = providerCase.request(providerCase.secret);
        const expectProblem = async (response: Response, status: number, what: string) => {
          assert.equal(response.status, status, `${what}: ${await response.clone().text()}`);
          assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
          const problem = (await response.json()) as Record<string, unknown>;
          assert.equal(problem['status'], status, what);
        };
        const wrongSecret = anotherSecret(providerCase);
        await expectProblem(
          await send(base, source.id, providerCase.request(wrongSecret)),
          401,
          'wrong secret',
        );
        await expectProblem(await send(base, source.id, providerCase.unsigned(valid)), 401, 'missing header');
        await expectProblem(
          await send(base, source.id, providerCase.sign(providerCase.secret, '{"team": [')),
          400,
          'malformed JSON',
        );
        await expectProblem(
          await send(base, source.id, providerCase.sign(providerCase.secret, '["not", "an object"]')),
          400,
          'not a JSON object',
        );
        const tooLarge = providerCase.sign(
          providerCase.secret,
          JSON.stringify({ padding: 'x'.repeat(70 * 1024) }),
        );
        await expectProblem(await send(base, source.id, tooLarge), 413, 'over the body limit');
        await expectProblem(
          await send(base, source.id, {
            ...valid,
            headers: { ...valid.headers, 'content-type': 'text/plain' },
          }),
          415,
          'not JSON',
        );
        await expectProblem(await send(base, 'src_doesNotExist0000', valid), 404, 'unknown source');
        await expectProblem(await send(base, 'not-even-an-id', valid), 404, 'malformed source id');
        await expectProblem(await send(base, otherTenants.id, valid), 401, "another tenant's source");
        if (providerCase.window) {
          const stale = providerCase.request(
            providerCase.secret,
            Math.floor(Date.now() / 1000) - providerCase.window - 1,
          );
          await expectProblem(
            await send(base, source.id, stale),
            401,
            `timestamp ${providerCase.window + 1} s old`,
          );
        }
        // Stats are written at most once a second.
        let stats: SourceStats | undefined;
        await eventually(async () => {
          stats = await statsOf(tenantA, source.id);
          return Object.keys(stats.rejected).length >= 3;
        }, 5_000);
        assert.equal(stats!.accepted, 0);
      });

      test(`[${transport.name}] ${providerCase.provider}: a verified JSON object the adapter cannot map is kept as unmapped with 200`, async () => {
        const source = await createSource(tenantA, providerCase, `${providerCase.provider} (unmapped)`);
        const body = '{"unexpected": true}';
        const response = await send(base, source.id, providerCase.sign(providerCase.secret, body));
        assert.equal(response.status, 200, await response.clone().text());
        const answer = (await response.json()) as Record<string, unknown>;
        assert.equal(answer['accepted'], 0);
        assert.equal(answer['unmapped'], true);
        assert.equal(typeof answer['reason'], 'string');
        await raw.waitFor((messages) => messages.some((m) => jsonOf(m)['source'] === source.id));
        const delivery = jsonOf(raw.messages.find((m) => jsonOf(m)['source'] === source.id)!);
        assert.equal(delivery['unmapped'], true);
        assert.equal(delivery['reason'], answer['reason']);
        assert.deepEqual(delivery['event_ids'], []);
        assert.equal(Buffer.from(String(delivery['body_base64']), 'base64').toString(), body);
        await eventually(async () => (await statsOf(tenantA, source.id)).unmapped.count === 1, 5_000);
        assert.equal((await statsOf(tenantA, source.id)).unmapped.last_reason, answer['reason']);
        const listed = await unmappedOf(tenantA, source.id);
        assert.equal(listed.data.length, 1);
        assert.equal(listed.data[0]!.id, delivery['id']);
        assert.equal(listed.data[0]!.reason, answer['reason']);
        assert.equal(listed.data[0]!.body, body);
        assert.equal(listed.data[0]!.body_truncated, false);
      });
    }

    test(`[${transport.name}] Solar Proof's unknown type_request is 200 unmapped: on the raw topic, listed and paged per tenant, never canonical`, async () => {
      const solarproof = PROVIDER_CASES.find((c) => c.provider === 'solarproof')!;
      const source = await createSource(tenantA, solarproof, 'solarproof drift');
      const bodies = [1, 2, 3].map((n) => JSON.stringify({ type_request: 'invoice_paid', id: `INV-${n}` }));
      for (const body of bodies) {
        const response = await send(base, source.id, solarproof.sign(solarproof.secret, body));
        assert.equal(response.status, 200, await response.clone().text());
        const answer = (await response.json()) as { accepted: number; unmapped: boolean; reason: string };
        assert.deepEqual(
          { accepted: answer.accepted, unmapped: answer.unmapped },
          { accepted: 0, unmapped: true },
        );
        assert.match(answer.reason, /type_request must be one of/);
      }
      const pages: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await unmappedOf(tenantA, source.id, `limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        pages.push(...page.data.map((item) => item.body));
        cursor = page.next_cursor;
      } while (cursor);
      assert.deepEqual(pages, bodies);
      const foreign = await fetch(`${base}/v1/sources/${source.id}/unmapped`, {
        headers: { authorization: `Bearer ${tenantB.api_key}` },
      });
      assert.equal(foreign.status, 404);
      await raw.waitFor((messages) => messages.filter((m) => jsonOf(m)['source'] === source.id).length === 3);
      await pause(500);
      assert.ok(!canonical.messages.some((m) => jsonOf(m)['source'] === `/sources/${source.id}`));
    });

    test(`[${transport.name}] a large unmapped body is listed as an excerpt`, async () => {
      const observer = PROVIDER_CASES.find((c) => c.provider === 'observer')!;
      const source = await createSource(tenantA, observer, 'observer large drift');
      const body = JSON.stringify({ type: 'inverter.melted', padding: 'y'.repeat(10_000) });
      assert.equal((await send(base, source.id, observer.sign(observer.secret, body))).status, 200);
      const [item] = (await unmappedOf(tenantA, source.id)).data;
      assert.equal(item!.body_truncated, true);
      assert.equal(item!.body_bytes, Buffer.byteLength(body));
      assert.ok(item!.body.length < 2_000 && body.startsWith(item!.body));
    });

    test(`[${transport.name}] OpenSolar ids beyond 2^53 are never merged: each delivery is unmapped, kept exact on the raw topic`, async () => {
      const opensolar = PROVIDER_CASES.find((c) => c.provider === 'opensolar')!;
      const source = await createSource(tenantA, opensolar, 'opensolar big ids');
      for (const id of ['12345678901234567890123', '12345678901234567890124']) {
        const body = `{"project": {"id": ${id}, "stage": "Sold"}}`;
        const response = await send(base, source.id, opensolar.sign(opensolar.secret, body));
        assert.equal(response.status, 200, await response.clone().text());
        const answer = (await response.json()) as { accepted: number; unmapped: boolean; reason: string };
        assert.equal(answer.unmapped, true);
        assert.match(answer.reason, /project\.id .*cannot be kept exact/);
        await raw.waitFor((messages) =>
          messages.some(
            (m) =>
              jsonOf(m)['source'] === source.id &&
              Buffer.from(String(jsonOf(m)['body_base64']), 'base64').toString() === body,
          ),
        );
      }
      await pause(500);
      assert.ok(!canonical.messages.some((m) => jsonOf(m)['source'] === `/sources/${source.id}`));
    });

    test(`[${transport.name}] lone surrogates in a string or a key are a 400 and publish nothing; the management API refuses them too`, async () => {
      const observer = PROVIDER_CASES.find((c) => c.provider === 'observer')!;
      const source = await createSource(tenantA, observer, 'observer surrogates');
      for (const body of [
        '{"id": "e-s1", "type": "agent.offline", "agent_id": "x\\ud800"}',
        '{"id": "e-s2", "type": "agent.offline", "agent_id": "a1", "\\udc00": 1}',
      ]) {
        const response = await send(base, source.id, observer.sign(observer.secret, body));
        assert.equal(response.status, 400, `${body}: ${await response.clone().text()}`);
        assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
        assert.match(((await response.json()) as { detail: string }).detail, /lone surrogate/);
      }
      const created = await fetch(`${base}/v1/sources`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenantA.api_key}`, 'content-type': 'application/json' },
        body: '{"provider": "observer", "name": "bad \\ud800 name"}',
      });
      assert.equal(created.status, 400, await created.clone().text());
      assert.match(created.headers.get('content-type') ?? '', /^application\/problem\+json/);
      await pause(500);
      assert.ok(!raw.messages.some((m) => jsonOf(m)['source'] === source.id));
    });

    test(`[${transport.name}] CaseSolved's Webhook Validate without a data object is still answered OK`, async () => {
      const casesolved = PROVIDER_CASES.find((c) => c.provider === 'casesolved')!;
      const source = await createSource(tenantA, casesolved, 'handshake without data');
      const response = await send(
        base,
        source.id,
        casesolved.sign(casesolved.secret, '{"event": "Webhook Validate"}'),
      );
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'OK');
    });

    test(`[${transport.name}] more events in one request than INGEST_MAX_EVENTS_PER_REQUEST is a 413 naming the limit, and nothing is published`, async () => {
      const pylon = PROVIDER_CASES[0]!;
      const source = await createSource(tenantA, pylon, 'pylon flood');
      const batch = (count: number, prefix: string) =>
        JSON.stringify({
          team: { uid: 'T', name: 'Team' },
          projects: Array.from({ length: count }, (_, i) => ({ uid: `${prefix}-${i}` })),
        });
      const refused = await send(base, source.id, pylon.sign(pylon.secret, batch(MAX_EVENTS + 1, 'over')));
      assert.equal(refused.status, 413, await refused.clone().text());
      assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.match(
        ((await refused.json()) as { detail: string }).detail,
        new RegExp(`at most ${MAX_EVENTS}`),
      );
      const taken = await send(base, source.id, pylon.sign(pylon.secret, batch(MAX_EVENTS, 'at')));
      assert.equal(taken.status, 200, await taken.clone().text());
      const answer = (await taken.json()) as { event_ids: string[] };
      answer.event_ids.forEach((id) => acceptedEventIds.add(id));
      await raw.waitFor((messages) => messages.some((m) => jsonOf(m)['source'] === source.id));
      assert.equal(raw.messages.filter((m) => jsonOf(m)['source'] === source.id).length, 1);
      assert.ok(!canonical.messages.some((m) => String(jsonOf(m)['subject']).includes(':over-')));
    });

    test(`[${transport.name}] a tenant over INGEST_SOURCE_QUOTA gets a 403 naming the quota and the count; its sources keep working`, async () => {
      const tenant = await createTenant(fixture.env, 'Quota tenant');
      const casesolved = PROVIDER_CASES.find((c) => c.provider === 'casesolved')!;
      const created = await Promise.all(
        Array.from({ length: SOURCE_QUOTA + 3 }, (_, i) =>
          fetch(`${base}/v1/sources`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ provider: 'casesolved', name: `q${i}`, secret: casesolved.secret }),
          }),
        ),
      );
      const statuses = created.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 201).length, SOURCE_QUOTA, statuses.join(','));
      const refused = created.find((r) => r.status === 403)!;
      assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.match(
        ((await refused.json()) as { detail: string }).detail,
        new RegExp(`quota of ${SOURCE_QUOTA} sources \\(it has ${SOURCE_QUOTA}\\)`),
      );
      const first = (await created.find((r) => r.status === 201)!.json()) as { id: string };
      const handshake = casesolved.sign(casesolved.secret, '{"event": "Webhook Validate", "data": {}}');
      assert.equal((await send(base, first.id, handshake)).status, 200);
    });

    test(`[${transport.name}] a flood of rejected requests costs about one stats write per second, not one per request`, async () => {
      const observer = PROVIDER_CASES.find((c) => c.provider === 'observer')!;
      const source = await createSource(tenantA, observer, 'observer flood');
      const db = fixture.dataSource;
      await db.query('CREATE TABLE IF NOT EXISTS test_stats_writes (at timestamptz NOT NULL)');
      await db.query(`CREATE OR REPLACE FUNCTION test_count_stats_write() RETURNS trigger AS $$
        BEGIN INSERT INTO test_stats_writes VALUES (clock_timestamp()); RETURN NULL; END $$ LANGUAGE plpgsql`);
      await db.query(`CREATE TRIGGER test_count_stats_writes AFTER UPDATE ON source_stats
        FOR EACH STATEMENT EXECUTE FUNCTION test_count_stats_write()`);
      try {
        await pause(1_200); // whatever earlier tests left in the buffer is written
        await db.query('DELETE FROM test_stats_writes');
        const started = Date.now();
        const bad = observer.request(anotherSecret(observer));
        for (let round = 0; round < 10; round++) {
          const answers = await Promise.all(Array.from({ length: 20 }, () => send(base, source.id, bad)));
          assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([401]));
        }
        await eventually(async () => {
          const stats = await statsOf(tenantA, source.id);
          return stats.rejected['unauthorized_mismatch']?.count === 200;
        }, 5_000);
        const seconds = (Date.now() - started) / 1000;
        const [{ writes }] = (await db.query('SELECT count(*)::int AS writes FROM test_stats_writes')) as [
          { writes: number },
        ];
        assert.ok(
          writes <= Math.ceil(seconds) + 2,
          `${writes} stats writes in ${seconds} s for 200 requests`,
        );
      } finally {
        await db.query('DROP TRIGGER test_count_stats_writes ON source_stats');
      }
    });

    test(`[${transport.name}] ingest:remap maps a source's unmapped deliveries again with its current settings, with the ids ingest gives`, async () => {
      const standard = PROVIDER_CASES.find((c) => c.provider === 'standard-webhooks')!;
      const source = await createSource(tenantA, standard, 'standard drift');
      const drifted = standard.sign(standard.secret, '{"kind": "invoice.paid", "object": {"ref": "INV-7"}}');
      const hopeless = standard.sign(standard.secret, '{"nothing": "here"}');
      for (const request of [drifted, hopeless]) {
        const answer = (await (await send(base, source.id, request)).json()) as { unmapped?: boolean };
        assert.equal(answer.unmapped, true);
      }
      const patched = await fetch(`${base}/v1/sources/${source.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${tenantA.api_key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ settings: { event_type_path: 'kind', entity_id_path: 'object.ref' } }),
      });
      assert.equal(patched.status, 200);
      await raw.waitFor((ms) => ms.filter((m) => jsonOf(m)['source'] === source.id).length === 2);

      const summaries = [];
      for (const args of [[], [], ['--since', new Date(Date.now() + 60_000).toISOString()]]) {
        const cli = runProcess('dist/tools/cli.js', { ...fixture.env, LOG_LEVEL: 'error' }, [
          'ingest:remap',
          '--source',
          source.id,
          ...args,
        ]);
        const line = await cli.waitForLine(/^\{"read"/, 60_000);
        assert.equal(await cli.exited, 0);
        summaries.push(JSON.parse(line) as Record<string, number>);
      }
      assert.deepEqual(summaries, [
        { read: 2, remapped: 1, still_unmapped: 1, events: 1 },
        { read: 2, remapped: 1, still_unmapped: 1, events: 1 },
        { read: 0, remapped: 0, still_unmapped: 0, events: 0 },
      ]);
      const fromSource = () =>
        canonical.messages.filter((m) => jsonOf(m)['source'] === `/sources/${source.id}`);
      await canonical.waitFor(() => fromSource().length === 2);
      const ids = new Set(fromSource().map((m) => String(jsonOf(m).id)));
      assert.equal(ids.size, 1, 'remapping twice publishes the same event again, not another one');
      assert.equal(jsonOf(fromSource()[0]!)['subject'], 'standard-webhooks:INV-7');

      // Ingest itself, now that the settings fit, gives the very same id for the same delivery.
      const again = (await (await send(base, source.id, drifted)).json()) as { event_ids: string[] };
      assert.deepEqual(again.event_ids, [...ids]);
      again.event_ids.forEach((id) => acceptedEventIds.add(id));
      const listed = (await unmappedOf(tenantA, source.id)).data;
      assert.equal(listed.filter((item) => item.remapped_at !== null).length, 1);
      assert.deepEqual(listed.find((item) => item.remapped_at !== null)!.event_ids, [...ids]);
    });

    test(`[${transport.name}] ingest sees a changed secret and a deleted source within two seconds`, async () => {
      const casesolved = PROVIDER_CASES.find((c) => c.provider === 'casesolved')!;
      const source = await createSource(tenantA, casesolved, 'rotating');
      const headers = { authorization: `Bearer ${tenantA.api_key}`, 'content-type': 'application/json' };
      const handshake = (secret: string) =>
        send(base, source.id, casesolved.sign(secret, '{"event": "Webhook Validate", "data": {}}'));
      assert.equal((await handshake(casesolved.secret)).status, 200);
      const rotated = await fetch(`${base}/v1/sources/${source.id}`, {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ secret: 'rotated-secret-0001' }),
      });
      assert.equal(rotated.status, 200);
      await eventually(async () => (await handshake(casesolved.secret)).status === 401, 2_000);
      assert.equal((await handshake('rotated-secret-0001')).status, 200);
      const deleted = await fetch(`${base}/v1/sources/${source.id}`, { method: 'DELETE', headers });
      assert.equal(deleted.status, 204);
      await eventually(async () => (await handshake('rotated-secret-0001')).status === 404, 2_000);
    });

    test(`[${transport.name}] a retried delivery yields the same event ids`, async () => {
      const pylon = PROVIDER_CASES[0]!;
      const source = await createSource(tenantA, pylon, 'retries');
      const request = pylon.request(pylon.secret);
      const first = (await (await send(base, source.id, request)).json()) as { event_ids: string[] };
      const second = (await (await send(base, source.id, request)).json()) as { event_ids: string[] };
      assert.equal(first.event_ids.length, 2);
      assert.deepEqual(second.event_ids, first.event_ids);
      first.event_ids.forEach((id) => acceptedEventIds.add(id));
    });

    test(`[${transport.name}] CaseSolved's Webhook Validate gets 200 OK, validates the source and publishes no business event`, async () => {
      const casesolved = PROVIDER_CASES.find((c) => c.provider === 'casesolved')!;
      const source = await createSource(tenantA, casesolved, 'handshake');
      const response = await send(
        base,
        source.id,
        casesolved.sign(casesolved.secret, '{"event": "Webhook Validate", "data": {}}'),
      );
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'OK');
      const view = (await (
        await fetch(`${base}/v1/sources/${source.id}`, {
          headers: { authorization: `Bearer ${tenantA.api_key}` },
        })
      ).json()) as { validated_at: string | null };
      assert.ok(view.validated_at, 'the source is marked validated');
      await raw.waitFor((messages) => messages.some((m) => jsonOf(m)['source'] === source.id));
      assert.deepEqual(jsonOf(raw.messages.find((m) => jsonOf(m)['source'] === source.id)!)['event_ids'], []);
    });

    test(
      `[${transport.name}] with the bus down ingest answers 503 with Retry-After, and the provider's retry succeeds once it is back`,
      { skip: transport.outageSkip },
      async () => {
        const observer = PROVIDER_CASES.find((c) => c.provider === 'observer')!;
        const source = await createSource(tenantA, observer, 'outage');
        const request = observer.sign(
          observer.secret,
          JSON.stringify({ id: 'evt_outage', type: 'agent.offline', agent: { id: 'agent-7' } }),
        );
        await pause(1_100); // let the source cache hold this source
        await fixture.down!();
        let refused: Response;
        try {
          refused = await send(base, source.id, request);
        } finally {
          await fixture.up!();
        }
        assert.equal(refused.status, 503, await refused.clone().text());
        assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
        let retried: Response | undefined;
        await eventually(async () => {
          retried = await send(base, source.id, request);
          return retried.status === 200;
        }, 30_000);
        const answer = (await retried!.json()) as { event_ids: string[] };
        answer.event_ids.forEach((id) => acceptedEventIds.add(id));
        await canonical.waitFor((messages) => messages.some((m) => jsonOf(m).id === answer.event_ids[0]));
      },
    );

    test(`[${transport.name}] nothing from a rejected request reached the bus`, async () => {
      await pause(1_000);
      const published = new Set(canonical.messages.map((m) => String(jsonOf(m).id)));
      assert.deepEqual(
        [...published].filter((id) => !acceptedEventIds.has(id)),
        [],
      );
      for (const message of raw.messages) {
        for (const id of jsonOf(message)['event_ids'] as string[]) assert.ok(acceptedEventIds.has(id));
      }
    });
  });
}

interface SourceStats {
  accepted: number;
  unmapped: { count: number; last_at: string | null; last_reason: string | null };
  rejected: Record<string, { count: number }>;
}

interface UnmappedPage {
  data: Array<{
    id: string;
    reason: string;
    body: string;
    body_bytes: number;
    body_truncated: boolean;
    remapped_at: string | null;
    event_ids: string[];
  }>;
  next_cursor: string | null;
}

/** A secret of the same form as the case's own, but not it. */
function anotherSecret(providerCase: ProviderCase): string {
  return providerCase.provider === 'standard-webhooks'
    ? `whsec_${randomBytes(32).toString('base64')}`
    : `${providerCase.secret}-other`;
}

/** A message's JSON value: a canonical event or a raw delivery. */
function jsonOf(message: ConsumedMessage): Record<string, unknown> {
  return JSON.parse(message.value.toString()) as Record<string, unknown>;
}
