import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ConsumedMessage } from '@hub/bus';
import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppName, type AppProcess } from '../support/app-process.js';
import { collect, pause, unique } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { OtlpReceiver, SPAN_KIND, type ReceivedSpan } from '../support/otlp-receiver.js';
import { PROVIDER_CASES, pylonBatch, pylonProject, send } from '../support/provider-requests.js';
import { Receiver } from '../support/receiver.js';
import { createTenant, postJson, type Tenant } from '../support/tenants.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * One trace from the provider's request to the subscriber's endpoint, each app its own process, on
 * each transport, exporting to an OTLP/HTTP receiver of the test's own: a provider's traceparent
 * is continued by ingest, crosses the bus twice (canonical event, state change) and reaches the
 * subscriber on the outbound webhook, and the exported spans form one unbroken chain of parents.
 * Then the same pipeline without an OTLP endpoint: no trace header anywhere.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const TOPICS = TEST_TOPICS;
const PYLON = PROVIDER_CASES.find((c) => c.provider === 'pylon-observer')!;
const TEAM = { uid: 'eDnP83Uj', name: 'My Solar Co' };
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

/** The spans from the outbound attempt back to ingest's server span, each the parent of the one before. */
const CHAIN = [
  { name: 'webhook attempt', service: 'solar-hub-dispatcher', kind: SPAN_KIND.client },
  { name: 'dispatcher matching', service: 'solar-hub-dispatcher', kind: SPAN_KIND.consumer },
  { name: `bus publish ${TOPICS.stateChanges}`, service: 'solar-hub-projector', kind: SPAN_KIND.producer },
  { name: 'projector apply', service: 'solar-hub-projector', kind: SPAN_KIND.consumer },
  { name: `bus publish ${TOPICS.projects}`, service: 'solar-hub-ingest', kind: SPAN_KIND.producer },
  { name: 'POST /v1/ingest/:sourceId', service: 'solar-hub-ingest', kind: SPAN_KIND.server },
];

for (const transport of cases) {
  describe(`tracing [${transport.name}]`, { skip: transport.skip ?? false, timeout: 300_000 }, () => {
    let fixture: TransportFixture;
    let receiver: Receiver;
    let otlp: OtlpReceiver;
    let tenant: Tenant;
    const secretsKey = randomBytes(32).toString('base64');
    let apps: Partial<Record<AppName, AppProcess>> = {};

    before(async () => {
      fixture = await transport.setup();
      receiver = await new Receiver().start();
      otlp = await new OtlpReceiver().start();
      tenant = await createTenant(fixture.env, 'Tracing tenant');
    });
    after(async () => {
      await stopApps();
      await receiver?.stop();
      await otlp?.stop();
      await fixture?.close();
    });

    /** The three apps with `env` each; their base URLs once all are healthy. */
    const startApps = async (env: Record<AppName, Record<string, string>>) => {
      const urls = {} as Record<AppName, string>;
      for (const name of ['ingest', 'projector', 'dispatcher'] as const) {
        const port = await freePort();
        urls[name] = `http://127.0.0.1:${port}`;
        apps[name] = runProcess(`dist/apps/${name}/src/main.js`, {
          ...fixture.env,
          SECRETS_KEY: secretsKey,
          [`${name.toUpperCase()}_PORT`]: String(port),
          OUTBOUND_ALLOW_HTTP: 'true',
          OUTBOUND_ALLOW_PRIVATE: 'true',
          DISPATCH_POLL_INTERVAL: '50ms',
          LOG_LEVEL: 'warn',
          ...env[name],
        });
      }
      await Promise.all(Object.values(urls).map((url) => waitForHealthy(url, 60_000)));
      return urls;
    };
    async function stopApps(): Promise<void> {
      for (const app of Object.values(apps)) await app.stop('SIGTERM');
      apps = {};
    }

    /** A new project's batch from Pylon, signed, sent with the provider's own traceparent. */
    const sendTraced = async (ingest: string, sourceId: string, traceparent: string) => {
      const uid = unique('p');
      const body = pylonBatch(TEAM, [pylonProject(uid, 'Q1', new Date().toISOString(), 6.6)]);
      const request = PYLON.sign(PYLON.secret, body);
      const answer = await send(ingest, sourceId, {
        ...request,
        headers: { ...request.headers, traceparent },
      });
      assert.equal(answer.status, 200, await answer.clone().text());
      return uid;
    };

    const setUp = async (urls: Record<AppName, string>, path: string) => {
      const subscription = await postJson(urls.dispatcher, tenant.api_key, '/v1/subscriptions', {
        endpoint: receiver.url(path),
      });
      const source = await postJson(urls.ingest, tenant.api_key, '/v1/sources', {
        provider: 'pylon-observer',
        name: unique('Pylon'),
        secret: PYLON.secret,
      });
      return { subscriptionId: subscription['id']!, sourceId: source['id']! };
    };

    test(`[${transport.name}] the provider's traceparent reaches the subscriber, and the spans of ingest, bus, projector, dispatcher and the attempt form one chain`, async () => {
      const otel = {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      };
      const urls = await startApps({
        ingest: otel,
        // The projector's consumers run on worker threads, each with its own SDK. They export only
        // when they stop here: what the chain finds of the projector was flushed on shutdown.
        projector: { ...otel, OTEL_BSP_SCHEDULE_DELAY: '600000' },
        dispatcher: otel,
      });
      try {
        const path = `/${unique('traced')}`;
        const { subscriptionId, sourceId } = await setUp(urls, path);
        const traceId = randomBytes(16).toString('hex');
        const providerSpanId = randomBytes(8).toString('hex');
        await sendTraced(urls.ingest, sourceId, `00-${traceId}-${providerSpanId}-01`);

        await receiver.waitFor(() => receiver.events(path).length >= 1, 60_000, 'the webhook');
        const [webhook] = receiver.events(path);
        const sent = TRACEPARENT.exec(String(webhook!.received.headers['traceparent']));
        assert.ok(sent, `a W3C traceparent on the webhook: ${webhook!.received.headers['traceparent']}`);
        assert.equal(sent[1], traceId, 'the webhook continues the provider trace');
        const attemptSpanId = sent[2]!;

        // A subscription cannot set the trace headers: they are the dispatcher's.
        const refused = await fetch(`${urls.dispatcher}/v1/subscriptions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ endpoint: receiver.url(path), headers: { Traceparent: sent[0] } }),
        });
        assert.equal(refused.status, 400, await refused.text());

        await apps.projector!.stop('SIGTERM');
        const chain = await chainOf(otlp, traceId, attemptSpanId, providerSpanId);
        assert.deepEqual(
          chain.map(({ name, service, kind }) => ({ name, service, kind })),
          CHAIN,
          'from the attempt back to ingest, each span the parent of the one before',
        );
        assert.equal(
          chain.at(-1)!.parentSpanId,
          providerSpanId,
          "ingest's server span continues the provider's",
        );

        const [attempt, matching, , apply, ingestPublish, server] = chain;
        assert.deepEqual(
          pick(attempt!.attributes, [
            'solar_hub.subscription_id',
            'solar_hub.delivery_id',
            'solar_hub.attempt',
            'http.response.status_code',
          ]),
          {
            'solar_hub.subscription_id': subscriptionId,
            'solar_hub.delivery_id': webhook!.received.headers['webhook-id'],
            'solar_hub.attempt': 1,
            'http.response.status_code': 200,
          },
        );
        assert.equal(server!.attributes['http.route'], '/v1/ingest/:sourceId');
        assert.equal(apply!.attributes['messaging.destination.name'], TOPICS.projects);
        assert.equal(matching!.attributes['messaging.destination.name'], TOPICS.stateChanges);
        // The batch span the projector's apply ran in links to the message's producer span.
        const batch = otlp.spans.find((span) => span.spanId === apply!.links[0]?.spanId);
        assert.equal(batch?.name, 'projector.canonical batch');
        assert.ok(
          batch.links.some((link) => link.traceId === traceId && link.spanId === ingestPublish!.spanId),
          'the batch span links to the trace of each message it served',
        );
      } finally {
        await stopApps();
      }
    });

    test(`[${transport.name}] with no OTLP endpoint nothing is traced: no trace header on the bus or on the outbound webhook`, async () => {
      const bus = await fixture.createBus('tracing-off');
      const { collector } = await collect(bus, unique('untraced'), [TOPICS.projects, TOPICS.stateChanges]);
      const urls = await startApps({ ingest: {}, projector: {}, dispatcher: {} });
      try {
        const path = `/${unique('untraced')}`;
        const { sourceId } = await setUp(urls, path);
        const traceId = randomBytes(16).toString('hex');
        const uid = await sendTraced(
          urls.ingest,
          sourceId,
          `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
        );

        await receiver.waitFor(() => receiver.events(path).length >= 1, 60_000, 'the webhook');
        const [webhook] = receiver.events(path);
        assert.equal(webhook!.received.headers['traceparent'], undefined);
        assert.equal(webhook!.received.headers['tracestate'], undefined);
        const ofProject = (messages: ConsumedMessage[]) => messages.filter((m) => m.key.endsWith(`:${uid}`));
        await collector.waitFor((messages) => new Set(ofProject(messages).map((m) => m.topic)).size === 2);
        for (const message of ofProject(collector.messages)) {
          assert.deepEqual(
            Object.keys(message.headers).filter((name) => name.startsWith('trace')),
            [],
            `${message.topic} carries no trace context`,
          );
        }
        await pause(300);
        assert.deepEqual(otlp.ofTrace(traceId), [], 'nothing exported');
      } finally {
        await stopApps();
      }
    });
  });
}

/**
 * The chain of parents from the span `from` up to the one whose parent is `root`, once every span
 * of it has been exported (or what there is after 30 s, for the assertion to show).
 */
async function chainOf(
  otlp: OtlpReceiver,
  traceId: string,
  from: string,
  root: string,
): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const byId = new Map(otlp.ofTrace(traceId).map((span) => [span.spanId, span]));
    const chain: ReceivedSpan[] = [];
    for (let span = byId.get(from); span; span = byId.get(span.parentSpanId)) chain.push(span);
    if (chain.at(-1)?.parentSpanId === root || Date.now() > deadline) return chain;
    await pause(100);
  }
}

function pick(values: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, values[key]]));
}
