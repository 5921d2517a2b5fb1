import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { createTestDatabase, stopEmbeddedTestServer, type TestDatabase } from '../support/database.js';
import { createTenant, type Tenant } from '../support/tenants.js';

/**
 * The dispatcher's management API as production runs it: https only, no private targets. No
 * delivery leaves this process (every endpoint is a documentation address that is never reached
 * or a subscription that is disabled), so only the API's answers are checked here.
 */
after(stopEmbeddedTestServer);
const QUOTA = 5;
/** TEST-NET-3 (RFC 5737): public in form, never routed, so creating a subscription contacts no one. */
const PUBLIC_ENDPOINT = 'https://203.0.113.10/hooks';

describe('dispatcher API', { timeout: 180_000 }, () => {
  let database: TestDatabase;
  let app: AppProcess;
  let base: string;
  let owner: Tenant;
  let other: Tenant;

  before(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = runProcess('dist/apps/dispatcher/src/main.js', {
      DATABASE_URL: database.url,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      DISPATCHER_PORT: String(port),
      DISPATCH_SUBSCRIPTION_QUOTA: String(QUOTA),
      DISPATCH_TIMEOUT: '300ms',
      LOG_LEVEL: 'warn',
    });
    await waitForHealthy(base, 60_000);
    owner = await createTenant({ DATABASE_URL: database.url }, 'Owner');
    other = await createTenant({ DATABASE_URL: database.url }, 'Other');
  });
  after(async () => {
    await app?.stop('SIGTERM');
    await database?.drop();
  });

  const call = async (tenant: Tenant | null, method: string, path: string, body?: unknown, raw?: string) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(tenant ? { authorization: `Bearer ${tenant.api_key}` } : {}),
        'content-type': 'application/json',
      },
      ...(raw !== undefined ? { body: raw } : body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      body: (text ? JSON.parse(text) : null) as Record<string, unknown>,
    };
  };
  const assertProblem = (
    answer: Awaited<ReturnType<typeof call>>,
    status: number,
    detail: RegExp,
    label = '',
  ) => {
    assert.equal(answer.status, status, `${label} ${JSON.stringify(answer.body)}`);
    assert.match(answer.type, /^application\/problem\+json/);
    assert.match(String(answer.body['detail']), detail, label);
  };
  const create = (tenant: Tenant, body: Record<string, unknown>) =>
    call(tenant, 'POST', '/v1/subscriptions', { endpoint: PUBLIC_ENDPOINT, enabled: false, ...body });

  test('refuses endpoints on loopback, private, link-local and metadata addresses, and plain http', async () => {
    for (const endpoint of [
      'https://127.0.0.1/hooks',
      'https://10.1.2.3/hooks',
      'https://192.168.0.10/hooks',
      'https://169.254.169.254/latest/meta-data/',
      'https://[::1]/hooks',
      'https://localhost/hooks',
    ]) {
      assertProblem(
        await create(owner, { endpoint }),
        400,
        /loopback, private, link-local or reserved/,
        endpoint,
      );
    }
    assertProblem(await create(owner, { endpoint: 'http://203.0.113.10/hooks' }), 400, /https/);
    assertProblem(await create(owner, { endpoint: 'https://user:pw@203.0.113.10/' }), 400, /credentials/);
    assertProblem(await create(owner, { endpoint: 'not a url' }), 400, /absolute URL/);
    const listed = await call(owner, 'GET', '/v1/subscriptions');
    assert.deepEqual(listed.body['data'], [], 'nothing was stored');
  });

  test('validation errors name the offending field', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ trigger_fields: ['project..stage'] }, /trigger_fields\[0\]/],
      [{ payload_fields: ['stage'] }, /payload_fields\[0\] "stage" must be 2 to/],
      [{ trigger_fields: 'project.stage' }, /trigger_fields must be an array/],
      [{ headers: { 'webhook-signature': 'x' } }, /headers\.webhook-signature is set by the dispatcher/],
      [
        { headers: { 'X-Tenant': 'a\r\nInjected: 1' } },
        /headers\.X-Tenant must be at most 1000 characters without line breaks/,
      ],
      [{ signature_scheme: 'md5' }, /signature_scheme must be one of/],
      [{ secret: 'not-a-whsec-secret-at-all' }, /whsec_/],
      [{ event_types: ['project updated'] }, /event_types/],
      [{ ordering: 'global' }, /ordering must be none or entity/],
      [{ surprise: true }, /property surprise should not exist/],
      [{ endpoint: 42 }, /endpoint must be a string/],
    ];
    for (const [body, detail] of cases)
      assertProblem(await create(owner, body), 400, detail, JSON.stringify(body));
    assertProblem(await call(owner, 'POST', '/v1/subscriptions', undefined, '{"endpoint": '), 400, /JSON/);
    assertProblem(await call(owner, 'GET', '/v1/subscriptions?cursor=%27%20OR%201%3D1'), 400, /cursor/);
  });

  test('a generated secret is shown once, and a stored one never', async () => {
    const created = await create(owner, {});
    assert.equal(created.status, 201);
    assert.match(String(created.body['secret']), /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.equal(created.body['status'], 'disabled');
    const read = await call(owner, 'GET', `/v1/subscriptions/${String(created.body['id'])}`);
    assert.equal(read.body['secret'], undefined);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ secret_sealed: Buffer }>(
      'SELECT secret_sealed FROM subscriptions WHERE id = $1',
      [created.body['id']],
    );
    await client.end();
    const secret = String(created.body['secret']);
    const sealed = rows[0]!.secret_sealed;
    assert.ok(!sealed.includes(Buffer.from(secret)), 'the secret is not stored as it is');
    assert.ok(!sealed.includes(Buffer.from(secret.slice(6), 'base64')), 'nor its key bytes');
    await call(owner, 'DELETE', `/v1/subscriptions/${String(created.body['id'])}`);
  });

  test('over the quota, creating is refused while existing subscriptions keep working', async () => {
    const tenant = await createTenant({ DATABASE_URL: database.url }, 'Quota');
    const ids: string[] = [];
    for (let i = 0; i < QUOTA; i++) {
      const created = await create(tenant, { description: `n${i}` });
      assert.equal(created.status, 201);
      ids.push(String(created.body['id']));
    }
    assertProblem(await create(tenant, {}), 403, new RegExp(`quota of ${QUOTA} subscriptions`));
    const hook = await call(tenant, 'POST', '/v1/hooks', {
      hookUrl: PUBLIC_ENDPOINT,
      event: 'project.updated',
    });
    assertProblem(hook, 403, /quota/);
    const patched = await call(tenant, 'PATCH', `/v1/subscriptions/${ids[0]}`, {
      description: 'still editable',
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body['description'], 'still editable');
    assert.equal((await call(tenant, 'DELETE', `/v1/subscriptions/${ids[1]}`)).status, 204);
    assert.equal((await create(tenant, {})).status, 201, 'room again after a delete');
  });

  test("every endpoint refuses a missing key and answers 404 for another tenant's subscription or delivery", async () => {
    const created = await create(owner, {});
    const id = String(created.body['id']);
    const test = await call(owner, 'POST', `/v1/subscriptions/${id}/test`);
    assert.equal(test.status, 202);
    const deliveryId = String(test.body['id']);
    const hook = await call(owner, 'POST', '/v1/hooks', {
      hookUrl: PUBLIC_ENDPOINT,
      event: 'project.updated',
    });
    assert.equal(hook.status, 201);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/v1/subscriptions/${id}`],
      ['PATCH', `/v1/subscriptions/${id}`, { description: 'mine now' }],
      ['POST', `/v1/subscriptions/${id}/validate`],
      ['POST', `/v1/subscriptions/${id}/rotate-secret`],
      ['GET', `/v1/subscriptions/${id}/deliveries`],
      ['POST', `/v1/subscriptions/${id}/replay`, { since: '2026-01-01T00:00:00Z' }],
      ['POST', `/v1/subscriptions/${id}/test`],
      ['POST', `/v1/deliveries/${deliveryId}/retry`],
      ['DELETE', `/v1/hooks/${String(hook.body['id'])}`],
      ['DELETE', `/v1/subscriptions/${id}`],
    ];
    for (const [method, path, body] of routes) {
      assertProblem(await call(null, method, path, body), 401, /API key/, `${method} ${path} without a key`);
      assertProblem(
        await call(other, method, path, body),
        404,
        /no (subscription|delivery)/,
        `${method} ${path} as another tenant`,
      );
    }
    for (const [method, path] of [
      ['GET', '/v1/subscriptions'],
      ['POST', '/v1/subscriptions'],
      ['POST', '/v1/hooks'],
    ] as const) {
      assertProblem(
        await call(null, method, path, method === 'GET' ? undefined : {}),
        401,
        /API key/,
        `${method} ${path}`,
      );
    }
    const othersList = await call(other, 'GET', '/v1/subscriptions');
    assert.deepEqual(othersList.body['data'], []);
    const mine = await call(owner, 'GET', `/v1/subscriptions/${id}`);
    assert.equal(mine.body['description'], null, "the other tenant's PATCH changed nothing");
  });

  test('REST hooks subscribe one URL to one event and unsubscribe by id', async () => {
    const hook = await call(owner, 'POST', '/v1/hooks', {
      hookUrl: PUBLIC_ENDPOINT,
      event: 'customer.updated',
    });
    assert.equal(hook.status, 201);
    const id = String(hook.body['id']);
    assert.match(id, /^sub_/);
    const subscription = await call(owner, 'GET', `/v1/subscriptions/${id}`);
    assert.deepEqual(subscription.body['event_types'], ['customer.updated']);
    assertProblem(await call(owner, 'POST', '/v1/hooks', { hookUrl: PUBLIC_ENDPOINT }), 400, /event/);
    assert.equal((await call(owner, 'DELETE', `/v1/hooks/${id}`)).status, 204);
    assert.equal((await call(owner, 'GET', `/v1/subscriptions/${id}`)).status, 404);
  });
});
