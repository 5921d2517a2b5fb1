import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { EventBus } from '@hub/bus';
import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { collect, eventually, pause, unique, type Collector } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { Receiver, type Received } from '../support/receiver.js';
import { changeMessage, stateChange, type ChangeSpec } from '../support/state-changes.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * The dispatcher as a process on each transport: state changes in through the real bus, signed
 * webhooks out to a real local receiver, the subscription and delivery APIs checked over HTTP.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const TOPICS = TEST_TOPICS;
const RETRIES = ['400ms', '400ms', '400ms', '400ms', '400ms'];
const ENDPOINT_CONCURRENCY = 8;

interface Subscription {
  id: string;
  status: string;
  status_reason: string | null;
  secret?: string;
  [key: string]: unknown;
}

interface Delivery {
  id: string;
  status: string;
  attempt_count: number;
  attempts: Array<{ status_code: number | null; error: string | null; response_body: string }>;
}

for (const transport of cases) {
  describe(`dispatcher [${transport.name}]`, { skip: transport.skip ?? false, timeout: 300_000 }, () => {
    let fixture: TransportFixture;
    let app: AppProcess;
    let base: string;
    let bus: EventBus;
    let receiver: Receiver;
    let tenant: Tenant;
    let deadLetters: Collector;

    before(async () => {
      fixture = await transport.setup();
      receiver = await new Receiver().start();
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      app = runProcess('dist/apps/dispatcher/src/main.js', {
        ...fixture.env,
        SECRETS_KEY: randomBytes(32).toString('base64'),
        DISPATCHER_PORT: String(port),
        OUTBOUND_ALLOW_HTTP: 'true',
        OUTBOUND_ALLOW_PRIVATE: 'true',
        DISPATCH_RETRY_SCHEDULE: RETRIES.join(','),
        DISPATCH_RETRY_JITTER: '0',
        DISPATCH_TIMEOUT: '3s',
        DISPATCH_POLL_INTERVAL: '50ms',
        DISPATCH_ENDPOINT_CONCURRENCY: String(ENDPOINT_CONCURRENCY),
        LOG_LEVEL: 'warn',
      });
      await waitForHealthy(base, 60_000);
      tenant = await createTenant(fixture.env, 'Dispatcher tenant');
      bus = await fixture.createBus('dispatcher-test');
      deadLetters = (await collect(bus, unique('dead'), [TOPICS.deadLetters])).collector;
    });
    after(async () => {
      await app?.stop('SIGTERM');
      await receiver?.stop();
      await fixture?.close();
    });

    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
    };
    const subscribe = async (path: string, options: Record<string, unknown> = {}) => {
      const created = await api('POST', '/v1/subscriptions', { endpoint: receiver.url(path), ...options });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body as unknown as Subscription;
    };
    const subscription = async (id: string) =>
      (await api('GET', `/v1/subscriptions/${id}`)).body as unknown as Subscription;
    const deliveries = async (id: string, query = '') =>
      (await api('GET', `/v1/subscriptions/${id}/deliveries${query}`)).body['data'] as Delivery[];
    const publish = async (...specs: Array<Omit<ChangeSpec, 'tenant'>>) => {
      const changes = specs.map((spec) => stateChange({ tenant: tenant.tenant_id, ...spec }));
      await bus.publish(TOPICS.stateChanges, changes.map(changeMessage));
      return changes;
    };
    /** A new project at stage Lead: the change most tests only need delivered. */
    const publishNewLead = (prefix: string) =>
      publish({
        entityId: `pylon-observer:${unique(prefix)}`,
        version: 1,
        changed: ['project.stage'],
        document: { stage: 'Lead' },
      });
    const assertProblemStatus = (
      answer: { status: number; body: Record<string, unknown> },
      detail: RegExp,
      label = '',
    ) => {
      assert.equal(answer.status, 400, `${label} ${JSON.stringify(answer.body)}`);
      assert.match(String(answer.body['detail']), detail, label);
    };
    const verifyStandard = (secret: string, request: Received) =>
      new Webhook(secret).verify(request.body, request.headers as Record<string, string>);

    test(`[${transport.name}] signs each delivery so the standardwebhooks library verifies it, and carries only the payload fields`, async () => {
      const path = `/${unique('signed')}`;
      const sub = await subscribe(path, {
        trigger_fields: ['project.stage'],
        payload_fields: ['project.stage', 'project.systems.modules'],
      });
      assert.equal(sub.status, 'active');
      const entityId = `pylon-observer:${unique('p')}`;
      const [change] = await publish({
        entityId,
        version: 1,
        changed: ['project.notes', 'project.stage'],
        document: { stage: 'Sold', notes: 'private', systems: [{ modules: 20, inverters: 1 }] },
      });
      // The same change again (a redelivery) makes no second delivery.
      await bus.publish(TOPICS.stateChanges, [changeMessage(change!)]);
      await receiver.waitFor(() => receiver.events(path).length >= 1);
      const [request] = receiver.at(path).filter((r) => !r.body.includes('webhook.validate'));
      const verified = verifyStandard(sub.secret!, request!) as Record<string, unknown>;
      assert.equal(verified['type'], 'project.created');
      assert.equal(verified['subject'], entityId);
      assert.equal(verified['id'], request!.headers['webhook-id']);
      assert.deepEqual(verified['data'], {
        changed_fields: ['project.notes', 'project.stage'],
        version: 1,
        project: { stage: 'Sold', systems: [{ modules: 20 }] },
      });
      await eventually(async () => (await deliveries(sub.id)).some((d) => d.status === 'succeeded'));
      await pause(300);
      assert.equal((await deliveries(sub.id)).length, 1, 'one delivery per (subscription, change)');
      assert.equal(receiver.events(path).length, 1);
    });

    test(`[${transport.name}] sends a change only where a trigger pattern matches: exact, wildcard, defaults, event types`, async () => {
      const paths = {
        exact: `/${unique('exact')}`,
        wild: `/${unique('wild')}`,
        defaults: `/${unique('defaults')}`,
        types: `/${unique('types')}`,
      };
      await subscribe(paths.exact, { trigger_fields: ['project.stage'] });
      await subscribe(paths.wild, { trigger_fields: ['project.systems.*'] });
      await subscribe(paths.defaults, { trigger_fields: null });
      await subscribe(paths.types, { event_types: ['customer.updated'] });
      const x = `pylon-observer:${unique('x')}`;
      const y = `pylon-observer:${unique('y')}`;
      await publish(
        { entityId: x, version: 1, changed: ['project.notes'], document: { notes: 'n' } },
        {
          entityId: y,
          version: 1,
          changed: ['project.systems.modules'],
          document: { systems: [{ modules: 3 }] },
        },
        // Same entity as the first, so it arrives after it: the exact subscription's marker.
        { entityId: x, version: 2, changed: ['project.stage'], document: { notes: 'n', stage: 'Sold' } },
      );
      await receiver.waitFor(
        () => receiver.events(paths.defaults).length >= 3,
        30_000,
        'defaults get all three',
      );
      await receiver.waitFor(
        () => receiver.events(paths.exact).length >= 1,
        30_000,
        'exact gets the stage change',
      );
      await receiver.waitFor(
        () => receiver.events(paths.wild).length >= 1,
        30_000,
        'wildcard gets the systems change',
      );
      await pause(500);
      assert.deepEqual(
        receiver
          .events(paths.exact)
          .map((e) => [e['subject'], (e['data'] as Record<string, unknown>)['changed_fields']]),
        [[x, ['project.stage']]],
        'a change to an untracked field (project.notes) sends nothing',
      );
      assert.deepEqual(
        receiver.events(paths.wild).map((e) => e['subject']),
        [y],
      );
      assert.equal(receiver.events(paths.types).length, 0, 'event_types excludes project changes');
      const fullDocument = receiver
        .events(paths.defaults)
        .find((e) => e['subject'] === x && (e['data'] as Record<string, unknown>)['version'] === 2);
      assert.deepEqual(
        (fullDocument!['data'] as Record<string, unknown>)['project'],
        { notes: 'n', stage: 'Sold' },
        'default payload fields: the whole document',
      );
    });

    test(`[${transport.name}] changes whose deliveries cannot be stored are dead-lettered, and their entity's next change still goes out`, async () => {
      const path = `/${unique('poison')}`;
      await subscribe(path, { event_types: ['project.updated'] });
      const entityId = `pylon-observer:${unique('poison')}`;
      const before = deadLetters.messages.length;
      // Valid events, but Postgres has no year 0: storing their deliveries fails on the data itself.
      const poison = [2, 3, 4].map((version) => ({
        entityId,
        version,
        changed: ['project.stage'],
        document: { stage: 'Lead' },
        time: '0000-01-01T00:00:00.000Z',
      }));
      await publish(...poison, {
        entityId,
        version: 5,
        changed: ['project.stage'],
        document: { stage: 'Sold' },
      });
      await receiver.waitFor(() => receiver.events(path).length >= 1, 60_000, 'the change after the poison');
      const sent = receiver.events(path);
      assert.equal(sent.length, 1);
      assert.equal((sent[0]!['data'] as { version: number }).version, 5);
      await deadLetters.waitForCount(before + 3, 30_000);
      const letters = deadLetters.messages
        .slice(before)
        .map((m) => JSON.parse(m.value.toString()) as Record<string, unknown>);
      assert.equal(letters.length, 3);
      for (const letter of letters) assert.match(String(letter['error']), /SQLSTATE 22/);
    });

    test(`[${transport.name}] the validation handshake activates on 2xx and leaves the subscription pending with the reason otherwise`, async () => {
      const path = `/${unique('handshake')}`;
      receiver.on(path, { status: 500 });
      const sub = await subscribe(path);
      assert.equal(sub.status, 'pending');
      assert.match(sub.status_reason ?? '', /webhook\.validate was not accepted: HTTP 500/);
      const [handshake] = receiver.at(path);
      const validate = verifyStandard(sub.secret!, handshake!) as Record<string, unknown>;
      assert.equal(validate['type'], 'webhook.validate');
      receiver.on(path, { status: 204 });
      const again = await api('POST', `/v1/subscriptions/${sub.id}/validate`);
      assert.equal(again.status, 200);
      assert.equal(again.body['status'], 'active');
      assert.equal(again.body['status_reason'], null);
    });

    test(`[${transport.name}] a receiver down for a while gets the delivery once it is up, under the same webhook-id, every attempt logged`, async () => {
      const path = `/${unique('flaky')}`;
      const sub = await subscribe(path);
      receiver.on(path, { status: 503, body: 'down for maintenance' });
      await publishNewLead('f');
      await receiver.waitFor(() => receiver.events(path).length >= 3, 30_000, 'three failed attempts');
      receiver.on(path, { status: 200 });
      await eventually(async () => (await deliveries(sub.id))[0]?.status === 'succeeded');
      const [delivery] = await deliveries(sub.id);
      const codes = delivery!.attempts.map((a) => a.status_code);
      assert.ok(codes.length >= 4, `attempts logged: ${codes.join(',')}`);
      assert.deepEqual(codes.slice(0, 3), [503, 503, 503]);
      assert.equal(codes.at(-1), 200);
      assert.equal(delivery!.attempts[0]!.response_body, 'down for maintenance');
      const sent = receiver.events(path);
      assert.deepEqual(new Set(sent.map((e) => e.received.headers['webhook-id'])), new Set([delivery!.id]));
      assert.equal(new Set(sent.map((e) => e.received.body)).size, 1, 'the same body on every attempt');
    });

    test(`[${transport.name}] a 429 with Retry-After waits at least as long as asked`, async () => {
      const path = `/${unique('limited')}`;
      await subscribe(path);
      receiver.on(path, { status: 429, headers: { 'retry-after': '2' } });
      await publishNewLead('r');
      await receiver.waitFor(() => receiver.events(path).length >= 1);
      receiver.on(path, { status: 200 });
      await receiver.waitFor(() => receiver.events(path).length >= 2, 30_000, 'the retry');
      const [first, second] = receiver.events(path);
      assert.ok(
        second!.received.at - first!.received.at >= 1_900,
        `waited ${second!.received.at - first!.received.at} ms, not the schedule's 400 ms`,
      );
    });

    test(`[${transport.name}] an attempt against a receiver that hangs times out and is retried`, async () => {
      const path = `/${unique('hang')}`;
      const sub = await subscribe(path);
      receiver.on(path, 'hang');
      await publishNewLead('h');
      await receiver.waitFor(
        () => receiver.events(path).length >= 2,
        30_000,
        'a second attempt after the timeout',
      );
      receiver.on(path, { status: 200 });
      await eventually(async () => (await deliveries(sub.id))[0]?.status === 'succeeded', 30_000);
      const [delivery] = await deliveries(sub.id);
      assert.equal(delivery!.attempts[0]!.status_code, null);
      assert.match(delivery!.attempts[0]!.error ?? '', /no answer within 3000 ms/);
    });

    test(`[${transport.name}] a subscription deleted while its delivery is in flight holds back no other outcome`, async () => {
      const gone = `/${unique('gone')}`;
      const kept = `/${unique('kept')}`;
      const doomed = await subscribe(gone, { event_types: ['project.created'] });
      receiver.on(gone, 'hang');
      await publishNewLead('gone');
      await receiver.waitFor(() => receiver.events(gone).length >= 1, 30_000, 'the attempt in flight');
      assert.equal((await api('DELETE', `/v1/subscriptions/${doomed.id}`)).status, 204);
      await pause(3_500); // the hanging attempt times out and its outcome finds no delivery row
      const survivor = await subscribe(kept, { event_types: ['project.created'] });
      await publishNewLead('kept');
      await eventually(async () => (await deliveries(survivor.id))[0]?.status === 'succeeded', 15_000);
      receiver.on(gone, { status: 200 });
    });

    test(`[${transport.name}] a dead receiver holds only its own slots: a healthy one beside it gets everything meanwhile`, async () => {
      const dead = `/${unique('dead')}`;
      const healthy = `/${unique('healthy')}`;
      await subscribe(dead, { event_types: ['project.updated'] });
      await subscribe(healthy, { event_types: ['project.updated'] });
      receiver.on(dead, 'hang');
      const count = 60;
      await publish(
        ...Array.from({ length: count }, (_, i) => ({
          entityId: `pylon-observer:${unique(`burst${i}`)}`,
          version: 2,
          changed: ['project.stage'],
          document: { stage: 'Sold' },
        })),
      );
      await receiver.waitFor(
        () => receiver.events(healthy).length >= count,
        30_000,
        'every healthy delivery',
      );
      const deadSoFar = receiver.events(dead).length;
      assert.ok(
        deadSoFar <= ENDPOINT_CONCURRENCY,
        `the dead endpoint held ${deadSoFar} requests, more than its ${ENDPOINT_CONCURRENCY} slots, while the healthy one was served`,
      );
      receiver.on(dead, { status: 200 });
    });

    test(`[${transport.name}] an exhausted delivery is failed and announced; 5 days of failures disable the subscription; re-enabling announces recovery`, async () => {
      const ops = `/${unique('ops')}`;
      const failing = `/${unique('failing')}`;
      await subscribe(ops, {
        event_types: ['delivery.exhausted', 'subscription.disabled', 'subscription.recovered'],
      });
      const sub = await subscribe(failing, { event_types: ['project.created', 'webhook.test'] });
      receiver.on(failing, { status: 500 });
      await publishNewLead('e');
      await eventually(async () => (await deliveries(sub.id))[0]?.status === 'failed', 30_000);
      const [delivery] = await deliveries(sub.id);
      assert.equal(delivery!.attempt_count, RETRIES.length + 1);
      await receiver.waitFor(
        () => receiver.events(ops).some((e) => e['type'] === 'delivery.exhausted'),
        30_000,
        'delivery.exhausted',
      );
      const exhausted = receiver.events(ops).find((e) => e['type'] === 'delivery.exhausted')!;
      assert.equal((exhausted['data'] as Record<string, unknown>)['delivery_id'], delivery!.id);
      await deadLetters.waitFor((messages) =>
        messages.some((m) => m.value.toString().includes(delivery!.id)),
      );

      // Five days of failures, compressed: the failing period is moved back, then one more failure.
      await fixture.dataSource.query(
        `UPDATE subscriptions SET failing_since = now() - interval '5 days 1 minute' WHERE id = $1`,
        [sub.id],
      );
      assert.equal((await api('POST', `/v1/subscriptions/${sub.id}/test`)).status, 202);
      await eventually(async () => (await subscription(sub.id)).status === 'disabled', 30_000);
      assert.match((await subscription(sub.id)).status_reason ?? '', /every delivery failed for 432000 s/);
      await receiver.waitFor(
        () => receiver.events(ops).some((e) => e['type'] === 'subscription.disabled'),
        30_000,
        'subscription.disabled',
      );

      receiver.on(failing, { status: 200 });
      const enabled = await api('PATCH', `/v1/subscriptions/${sub.id}`, { enabled: true });
      assert.equal(enabled.body['status'], 'active');
      await receiver.waitFor(
        () => receiver.events(ops).some((e) => e['type'] === 'subscription.recovered'),
        30_000,
        'subscription.recovered',
      );
    });

    test(`[${transport.name}] 410 Gone disables the subscription at once`, async () => {
      const path = `/${unique('gone')}`;
      const sub = await subscribe(path);
      receiver.on(path, { status: 410 });
      await publishNewLead('g');
      await eventually(async () => (await subscription(sub.id)).status === 'disabled', 30_000);
      assert.match((await subscription(sub.id)).status_reason ?? '', /410 Gone/);
      assert.equal((await deliveries(sub.id))[0]!.status, 'failed');
      await pause(1_000);
      assert.equal(receiver.events(path).length, 1, 'no retry after 410');
    });

    test(`[${transport.name}] ordering by entity: a failing delivery holds back that entity's later versions only`, async () => {
      const path = `/${unique('ordered')}`;
      const held = `pylon-observer:${unique('held')}`;
      const free = `pylon-observer:${unique('free')}`;
      await subscribe(path, { ordering: 'entity' });
      let heldFailures = 0;
      receiver.on(path, (request) => {
        const event = JSON.parse(request.body) as { subject: string; data: { version?: number } };
        if (event.subject === held && event.data.version === 1 && heldFailures < 3) {
          heldFailures++;
          return { status: 500 };
        }
        return { status: 200 };
      });
      const version = (entityId: string, v: number) => ({
        entityId,
        version: v,
        changed: ['project.stage'],
        document: { stage: `stage ${v}` },
      });
      await publish(
        ...[1, 2, 3, 4, 5].map((v) => version(held, v)),
        ...[1, 2, 3].map((v) => version(free, v)),
      );
      await receiver.waitFor(
        () =>
          receiver.events(path).filter((e) => e['subject'] === held && e.received.answered === 200).length >=
          5,
        30_000,
        'all five versions of the held entity',
      );
      const sent = receiver.events(path);
      const versionsOf = (subject: string) =>
        sent.filter((e) => e['subject'] === subject).map((e) => (e['data'] as { version: number }).version);
      assert.deepEqual(
        versionsOf(held),
        [1, 1, 1, 1, 2, 3, 4, 5],
        'strict version order, v1 retried until it succeeded',
      );
      assert.deepEqual(versionsOf(free), [1, 2, 3]);
      const heldSuccess = sent.find((e) => e['subject'] === held && e.received.answered === 200)!.received.at;
      const freeDone = Math.max(...sent.filter((e) => e['subject'] === free).map((e) => e.received.at));
      assert.ok(freeDone < heldSuccess, 'the other entity was not held back');
    });

    test(`[${transport.name}] after a secret rotation both secrets verify during the grace period, for every scheme`, async () => {
      const standard = `/${unique('rotate-sw')}`;
      const hex = `/${unique('rotate-hex')}`;
      const sw = await subscribe(standard);
      const hmac = await subscribe(hex, { signature_scheme: 'hmac-sha256-hex' });
      const rotated = (await api('POST', `/v1/subscriptions/${sw.id}/rotate-secret`)).body;
      const rotatedHex = (await api('POST', `/v1/subscriptions/${hmac.id}/rotate-secret`)).body;
      assert.notEqual(rotated['secret'], sw.secret);
      assert.ok(Date.parse(String(rotated['previous_secret_expires_at'])) > Date.now() + 23 * 3_600_000);
      await api('POST', `/v1/subscriptions/${sw.id}/test`);
      await api('POST', `/v1/subscriptions/${hmac.id}/test`);
      await receiver.waitFor(() => receiver.events(standard).length >= 1 && receiver.events(hex).length >= 1);
      const [swRequest] = receiver.events(standard);
      assert.equal(
        (verifyStandard(sw.secret!, swRequest!.received) as Record<string, unknown>)['type'],
        'webhook.test',
      );
      assert.equal(
        (verifyStandard(String(rotated['secret']), swRequest!.received) as Record<string, unknown>)['type'],
        'webhook.test',
      );
      const [hexRequest] = receiver.events(hex);
      const signatures = String(hexRequest!.received.headers['x-signature']).split(' ');
      for (const secret of [String(rotatedHex['secret']), hmac.secret!]) {
        const expected = `sha256=${createHmac('sha256', secret).update(hexRequest!.received.body).digest('hex')}`;
        assert.ok(signatures.includes(expected), 'each secret has its signature in X-Signature');
      }
    });

    test(`[${transport.name}] credential headers are sealed at rest and redacted in answers, yet sent as they are; a redacted value sent back keeps them`, async () => {
      const path = `/${unique('credentials')}`;
      const secrets = {
        Authorization: 'Bearer crm-credential-1',
        'X-Api-Key': 'key-credential-2',
        'X-Tenant-Pin': 'pin-3',
      };
      const sub = await subscribe(path, {
        headers: { ...secrets, 'X-Crm-Account': '42' },
        secret_headers: ['x-tenant-pin'],
      });
      const redacted = {
        Authorization: '[redacted]',
        'X-Api-Key': '[redacted]',
        'X-Tenant-Pin': '[redacted]',
        'X-Crm-Account': '42',
      };
      assert.equal(sub.status, 'active');
      assert.deepEqual(sub['headers'], redacted);
      assert.deepEqual((sub['secret_headers'] as string[]).sort(), [
        'Authorization',
        'X-Api-Key',
        'X-Tenant-Pin',
      ]);
      assert.deepEqual((await subscription(sub.id))['headers'], redacted);
      const listed = (await api('GET', '/v1/subscriptions?limit=100')).body['data'] as Subscription[];
      assert.deepEqual(listed.find((s) => s.id === sub.id)?.['headers'], redacted);
      const stored = async () =>
        JSON.stringify(
          (
            (await fixture.dataSource.query('SELECT headers FROM subscriptions WHERE id = $1', [
              sub.id,
            ])) as Array<{ headers: unknown }>
          )[0]!.headers,
        );
      const atRest = await stored();
      for (const value of Object.values(secrets))
        assert.ok(!atRest.includes(value), `${value} is not stored as it is`);
      assert.match(atRest, /"X-Crm-Account":"42"/);

      // What GET showed, sent back with one change: the placeholders keep the stored values.
      const patched = await api('PATCH', `/v1/subscriptions/${sub.id}`, {
        headers: { ...redacted, 'X-Crm-Account': '43' },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.ok(!(await stored()).includes('[redacted]'));
      await api('POST', `/v1/subscriptions/${sub.id}/test`);
      await receiver.waitFor(() => receiver.events(path).length >= 1);
      const [handshake] = receiver.at(path);
      const [sent] = receiver.events(path);
      for (const request of [handshake!, sent!.received]) {
        assert.equal(request.headers['authorization'], secrets.Authorization);
        assert.equal(request.headers['x-api-key'], secrets['X-Api-Key']);
        assert.equal(request.headers['x-tenant-pin'], secrets['X-Tenant-Pin']);
      }
      assert.equal(sent!.received.headers['x-crm-account'], '43');
      assertProblemStatus(
        await api('PATCH', `/v1/subscriptions/${sub.id}`, { headers: { 'X-New': '[redacted]' } }),
        /headers\.X-New is "\[redacted\]", but no value is stored/,
      );
      assertProblemStatus(
        await api('PATCH', `/v1/subscriptions/${sub.id}`, { secret_headers: ['X-Missing'] }),
        /secret_headers: X-Missing is not one of/,
      );
    });

    test(`[${transport.name}] a credential header stored in plain text before sealing is still sent, shown redacted, and sealed by the next update`, async () => {
      const path = `/${unique('legacy')}`;
      const sub = await subscribe(path, { headers: { 'X-Crm-Account': '42' } });
      await fixture.dataSource.query('UPDATE subscriptions SET headers = $2 WHERE id = $1', [
        sub.id,
        JSON.stringify({ 'X-Crm-Account': '42', 'X-Session-Token': 'legacy-plain-token' }),
      ]);
      const read = await subscription(sub.id);
      assert.deepEqual(read['headers'], { 'X-Crm-Account': '42', 'X-Session-Token': '[redacted]' });
      await api('POST', `/v1/subscriptions/${sub.id}/test`);
      await receiver.waitFor(() => receiver.events(path).length >= 1);
      assert.equal(receiver.events(path)[0]!.received.headers['x-session-token'], 'legacy-plain-token');
      const patched = await api('PATCH', `/v1/subscriptions/${sub.id}`, { headers: read['headers'] });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const [row] = (await fixture.dataSource.query(
        'SELECT headers::text AS headers FROM subscriptions WHERE id = $1',
        [sub.id],
      )) as Array<{ headers: string }>;
      assert.ok(!row!.headers.includes('legacy-plain-token'), 'sealed now');
      await api('POST', `/v1/subscriptions/${sub.id}/test`);
      await receiver.waitFor(() => receiver.events(path).length >= 2);
      assert.equal(receiver.events(path)[1]!.received.headers['x-session-token'], 'legacy-plain-token');
    });

    test(`[${transport.name}] OUTBOUND_ALLOW_PRIVATE lets loopback through but never cloud metadata`, async () => {
      for (const endpoint of [
        'http://169.254.169.254/latest/meta-data/',
        'http://[fd00:ec2::254]/latest/meta-data/',
        'http://100.100.100.200/latest/meta-data/',
        'http://metadata.google.internal/computeMetadata/v1/',
        'http://metadata/computeMetadata/v1/',
      ]) {
        assertProblemStatus(
          await api('POST', '/v1/subscriptions', { endpoint, enabled: false }),
          /cloud metadata/,
          endpoint,
        );
      }
      assertProblemStatus(
        await api('POST', '/v1/subscriptions', { endpoint: 'http://[::ffff:0:7f00:1]/x', enabled: false }),
        /not a global unicast address/,
      );
    });

    test(`[${transport.name}] replay re-sends what matched in the window, and a manual retry sends one delivery again, same id and body`, async () => {
      const path = `/${unique('replay')}`;
      const sub = await subscribe(path);
      const since = new Date(Date.now() - 1_000).toISOString();
      await publish(
        {
          entityId: `pylon-observer:${unique('a')}`,
          version: 1,
          changed: ['project.stage'],
          document: { stage: 'A' },
        },
        {
          entityId: `pylon-observer:${unique('b')}`,
          version: 1,
          changed: ['project.stage'],
          document: { stage: 'B' },
        },
      );
      await eventually(async () => (await deliveries(sub.id, '?status=succeeded')).length === 2);
      const replay = await api('POST', `/v1/subscriptions/${sub.id}/replay`, { since });
      assert.equal(replay.status, 202);
      assert.equal(replay.body['replayed'], 2);
      await receiver.waitFor(() => receiver.events(path).length >= 4, 30_000, 'the replayed deliveries');
      await eventually(async () => (await deliveries(sub.id, '?status=succeeded')).length === 2);
      const [latest] = await deliveries(sub.id);
      const retried = await api('POST', `/v1/deliveries/${latest!.id}/retry`);
      assert.equal(retried.status, 202);
      await receiver.waitFor(() => receiver.events(path).length >= 5, 30_000, 'the retried delivery');
      const bodiesById = new Map<string, Set<string>>();
      for (const event of receiver.events(path)) {
        const id = String(event.received.headers['webhook-id']);
        bodiesById.set(id, (bodiesById.get(id) ?? new Set()).add(event.received.body));
      }
      assert.equal(bodiesById.size, 2);
      assert.ok(
        [...bodiesById.values()].every((bodies) => bodies.size === 1),
        'one body per webhook-id',
      );
      const bad = await api('POST', `/v1/subscriptions/${sub.id}/replay`, {
        since,
        until: '2000-01-01T00:00:00Z',
      });
      assert.equal(bad.status, 400);
    });
  });
}
