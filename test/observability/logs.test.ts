import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { EventBus } from '@hub/bus';
import { startApp, stopApp, type AppName, type RunningApp } from '../support/app-process.js';
import { eventually, unique } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { PROVIDER_CASES, pylonBatch, pylonProject, send } from '../support/provider-requests.js';
import { Receiver, type Received } from '../support/receiver.js';
import { createTenant, postJson, type Tenant } from '../support/tenants.js';
import { postgresLogFixture, type TransportFixture } from '../support/transports.js';
import { TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * The lines an operator acts on, read from the three apps as processes (LOG_FORMAT=json,
 * LOG_LEVEL=info, the Postgres-log bus): one line per rejected webhook, per failed delivery
 * attempt, per disabled subscription and per dead-lettered message, each with its fields; every
 * line JSON with its app; and not one line holding a secret, an API key, a signature or a value
 * of a webhook's body.
 */
after(stopEmbeddedTestServer);
const APPS: AppName[] = ['ingest', 'projector', 'dispatcher'];
const TOPICS = TEST_TOPICS;
const PYLON = PROVIDER_CASES.find((c) => c.provider === 'pylon-observer')!;
/** Nest's start-up contexts, written at debug: none may reach an info log. */
const NEST_STARTUP = ['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication'];

type Line = Record<string, unknown>;

function parsed(line: string): Line | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Line) : null;
  } catch {
    return null;
  }
}

describe('operator log lines [postgres-log]', { timeout: 240_000 }, () => {
  let fixture: TransportFixture;
  const apps = {} as Record<AppName, RunningApp>;
  let receiver: Receiver;
  let tenant: Tenant;
  let bus: EventBus;
  let sourceId: string;
  /** Every secret, key, signature and body value the test handed over: no line may hold one. */
  const mustNotAppear: string[] = [];
  // Values only a webhook body carries.
  const teamName = `Team ${randomBytes(6).toString('hex')}`;
  const reference = `REF-${randomBytes(6).toString('hex')}`;

  const lines = (app: AppName): Line[] =>
    apps[app].app.output.map(parsed).filter((line): line is Line => line !== null);
  const linesWith = (app: AppName, msg: string, fields: Line): Line[] =>
    lines(app).filter(
      (line) => line['msg'] === msg && Object.entries(fields).every(([key, value]) => line[key] === value),
    );
  const waitForLine = async (app: AppName, msg: string, fields: Line): Promise<Line> => {
    await eventually(() => linesWith(app, msg, fields).length > 0, 60_000);
    return linesWith(app, msg, fields)[0]!;
  };
  const api = async (app: AppName, path: string): Promise<Record<string, unknown>> => {
    const response = await fetch(`${apps[app].base}${path}`, {
      headers: { authorization: `Bearer ${tenant.api_key}` },
    });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Record<string, unknown>;
  };

  before(async () => {
    fixture = await postgresLogFixture();
    receiver = await new Receiver().start();
    const env = {
      ...fixture.env,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      OUTBOUND_ALLOW_HTTP: 'true',
      OUTBOUND_ALLOW_PRIVATE: 'true',
      DISPATCH_POLL_INTERVAL: '50ms',
      // One failed attempt per delivery while the test runs: the next is an hour away.
      DISPATCH_RETRY_SCHEDULE: '1h',
      DISPATCH_RETRY_JITTER: '0',
    };
    const started = await Promise.all(
      APPS.map((name) => startApp(name, `dist/apps/${name}/src/main.js`, `${name.toUpperCase()}_PORT`, env)),
    );
    APPS.forEach((name, i) => (apps[name] = started[i]!));
    tenant = await createTenant(fixture.env, 'Logs tenant');
    mustNotAppear.push(tenant.api_key, PYLON.secret, teamName, reference);
    const source = await postJson(apps.ingest.base, tenant.api_key, '/v1/sources', {
      provider: 'pylon-observer',
      name: 'Pylon',
      secret: PYLON.secret,
    });
    sourceId = source['id']!;
    bus = await fixture.createBus('logs-test');
  });
  after(async () => {
    for (const running of Object.values(apps)) await stopApp(running.app);
    await receiver?.stop();
    await fixture?.close();
  });

  /** A batch whose values are this test's own. */
  const batch = () =>
    pylonBatch({ uid: 'team-logs', name: teamName }, [
      pylonProject(unique('p'), reference, new Date().toISOString(), 7.25),
    ]);

  test('a webhook with a bad signature gives exactly one warn line: source, provider, tenant, status, reason', async () => {
    const forged = PYLON.sign('a-secret-that-is-not-the-source-secret', batch());
    mustNotAppear.push(forged.headers['X-Pylon-Observer-Signature']!);
    const response = await send(apps.ingest.base, sourceId, forged);
    assert.equal(response.status, 401);
    // A later request's line: ingest writes its lines in order, so once it is read every line of
    // the forged request is too.
    const marker = `src_marker_${randomBytes(4).toString('hex')}`;
    assert.equal((await send(apps.ingest.base, marker, PYLON.sign(PYLON.secret, '{}'))).status, 404);
    const markerLine = await waitForLine('ingest', 'webhook rejected', { source_id: marker });
    assert.equal(markerLine['reason'], 'unknown_source');
    assert.equal(markerLine['status'], 404);
    assert.equal(markerLine['provider'], null);

    const rejected = linesWith('ingest', 'webhook rejected', { source_id: sourceId });
    assert.equal(rejected.length, 1, JSON.stringify(rejected));
    const line = rejected[0]!;
    assert.equal(line['level'], 'warn');
    assert.equal(line['app'], 'ingest');
    assert.equal(line['provider'], 'pylon-observer');
    assert.equal(line['tenant_id'], tenant.tenant_id);
    assert.equal(line['status'], 401);
    assert.match(String(line['reason']), /^unauthorized_/);
    assert.equal(line['request_id'], response.headers.get('x-request-id'));
  });

  test('a failed delivery attempt gives one line with its fields; a 410 disables the subscription with one line', async () => {
    const failing = `/${unique('failing')}`;
    const gone = `/${unique('gone')}`;
    const validateThen =
      (status: number) =>
      (request: Received): { status: number } =>
        (JSON.parse(request.body) as { type?: string }).type === 'webhook.validate'
          ? { status: 200 }
          : { status };
    receiver.on(failing, validateThen(500));
    receiver.on(gone, validateThen(410));
    const failingSubscription = await postJson(apps.dispatcher.base, tenant.api_key, '/v1/subscriptions', {
      endpoint: receiver.url(failing),
    });
    const goneSubscription = await postJson(apps.dispatcher.base, tenant.api_key, '/v1/subscriptions', {
      endpoint: receiver.url(gone),
    });
    mustNotAppear.push(failingSubscription['secret']!, goneSubscription['secret']!);

    const accepted = await send(apps.ingest.base, sourceId, PYLON.sign(PYLON.secret, batch()));
    assert.equal(accepted.status, 200, await accepted.clone().text());

    const attempt = await waitForLine('dispatcher', 'delivery attempt failed', {
      subscription_id: failingSubscription['id'],
    });
    const page = await api('dispatcher', `/v1/subscriptions/${failingSubscription['id']}/deliveries`);
    const deliveryIds = (page['data'] as Array<{ id: string }>).map((delivery) => delivery.id);
    assert.equal(attempt['level'], 'warn');
    assert.equal(attempt['app'], 'dispatcher');
    assert.equal(attempt['tenant_id'], tenant.tenant_id);
    assert.ok(deliveryIds.includes(String(attempt['delivery_id'])), JSON.stringify({ attempt, deliveryIds }));
    assert.equal(attempt['attempt'], 1);
    assert.equal(attempt['status'], 500);
    assert.equal(attempt['outcome'], 'retry');
    const next = Date.parse(String(attempt['next_attempt_at']));
    assert.ok(next - Date.parse(String(attempt['time'])) > 59 * 60_000, String(attempt['next_attempt_at']));
    // The batch may make more than one delivery; each has had its one attempt.
    assert.equal(
      linesWith('dispatcher', 'delivery attempt failed', { delivery_id: attempt['delivery_id'] }).length,
      1,
    );

    const disabled = await waitForLine('dispatcher', 'subscription disabled', {
      subscription_id: goneSubscription['id'],
    });
    assert.equal(disabled['level'], 'warn');
    assert.equal(disabled['tenant_id'], tenant.tenant_id);
    assert.match(String(disabled['reason']), /410/);
    assert.equal(
      (await api('dispatcher', `/v1/subscriptions/${goneSubscription['id']}`))['status'],
      'disabled',
    );
    const goneAttempts = linesWith('dispatcher', 'delivery attempt failed', {
      subscription_id: goneSubscription['id'],
    });
    assert.ok(goneAttempts.length >= 1);
    for (const gone of goneAttempts) {
      assert.equal(gone['status'], 410);
      assert.equal(gone['outcome'], 'gone');
      assert.equal(gone['next_attempt_at'], null);
    }
    assert.equal(linesWith('dispatcher', 'subscription disabled', {}).length, 1);
  });

  test('a message the projector cannot read is dead-lettered with one error line: group, topic, partition, offset, reason', async () => {
    await bus.publish(TOPICS.projects, [
      {
        key: `${tenant.tenant_id}/pylon-observer:unreadable`,
        value: 'not a CloudEvent',
        headers: { 'content-type': 'application/cloudevents+json' },
      },
    ]);
    const line = await waitForLine('projector', 'message dead-lettered', {
      tenant_id: tenant.tenant_id,
      topic: TOPICS.projects,
    });
    assert.equal(line['level'], 'error');
    assert.equal(line['app'], 'projector');
    assert.equal(typeof line['group'], 'string');
    assert.equal(typeof line['partition'], 'number');
    assert.match(String(line['offset']), /^\d+$/);
    assert.equal(typeof line['reason'], 'string');
    assert.equal(linesWith('projector', 'message dead-lettered', {}).length, 1);
  });

  test("an app's start prints a handful of info lines, none of Nest's start-up chatter", () => {
    for (const app of APPS) {
      const all = lines(app);
      const listening = all.findIndex((line) => String(line['msg']).startsWith('listening on'));
      assert.ok(listening >= 0, `${app}: no "listening on" line`);
      const startup = all.slice(0, listening + 1).filter((line) => line['level'] === 'info');
      assert.ok(
        startup.length <= 5,
        `${app}: ${startup.length} info lines at start:\n${JSON.stringify(startup)}`,
      );
      const chatter = all.filter((line) => NEST_STARTUP.includes(String(line['context'])));
      assert.deepEqual(chatter, [], `${app}: Nest's start-up lines`);
    }
  });

  test('every line of every app is JSON with its app, and none holds a secret, key, signature or body value', () => {
    assert.ok(mustNotAppear.every((value) => value.length >= 8));
    for (const app of APPS) {
      const output = apps[app].app.output;
      assert.ok(output.length > 0, `${app} printed nothing`);
      for (const raw of output) {
        const line = parsed(raw);
        assert.ok(line, `${app}: not JSON: ${raw}`);
        assert.equal(line['app'], app, raw);
        for (const value of mustNotAppear) assert.ok(!raw.includes(value), `${app} logged a secret: ${raw}`);
      }
    }
  });
});
