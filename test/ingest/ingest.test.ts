import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ConsumedMessage, EventBus } from '@hub/bus';
import { topicNames } from '@hub/contracts';
import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { collect, eventually, pause, unique, type Collector } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { PROVIDER_CASES, send, type ProviderCase } from '../support/provider-requests.js';
import { transportCases, type TransportFixture } from '../support/transports.js';

/**
 * Ingest as a process on each transport: providers' requests in over HTTP, canonical events read
 * back from the bus by a consumer of our own.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const TOPICS = topicNames('hub');

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
          await send(base, source.id, providerCase.sign(providerCase.secret, '{"unexpected": true}')),
          400,
          'fails the schema',
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
        const stats = (await (
          await fetch(`${base}/v1/sources/${source.id}/stats`, {
            headers: { authorization: `Bearer ${tenantA.api_key}` },
          })
        ).json()) as { accepted: number; rejected: Record<string, { count: number }> };
        assert.equal(stats.accepted, 0);
        assert.ok(Object.keys(stats.rejected).length >= 3, JSON.stringify(stats.rejected));
      });
    }

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
