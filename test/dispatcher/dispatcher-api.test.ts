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
 * delivery leaves this process (every endpoint is a name that never resolves or a subscription
 * that is disabled), so only the API's answers are checked here.
 */
after(stopEmbeddedTestServer);
const QUOTA = 5;
/** `.invalid` never resolves (RFC 6761), so creating a subscription contacts no one. */
const PUBLIC_ENDPOINT = 'https://receiver.invalid/hooks';

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

  test('refuses endpoints that are not global unicast, cloud metadata and plain http', async () => {
    for (const endpoint of [
      'https://127.0.0.1/hooks',
      'https://10.1.2.3/hooks',
      'https://192.168.0.10/hooks',
      'https://[::1]/hooks',
      'https://localhost/hooks',
      'https://[::127.0.0.1]/hooks',
      'https://[::ffff:0:7f00:1]/hooks',
      'https://[::ffff:127.0.0.1]/hooks',
      'https://[64:ff9b:1::1]/hooks',
      'https://[2002::1]/hooks',
      'https://[2001::1]/hooks',
      'https://[fec0::1]/hooks',
      'https://[100::1]/hooks',
      'https://[2001:db8::1]/hooks',
      'https://192.0.2.1/hooks',
      'https://198.51.100.1/hooks',
      'https://203.0.113.10/hooks',
      'https://192.88.99.1/hooks',
    ]) {
      assertProblem(
        await create(owner, { endpoint }),
        400,
        /is not a global unicast address|, not a global unicast address/,
        endpoint,
      );
    }
    for (const endpoint of [
      'https://169.254.169.254/latest/meta-data/',
      'https://[fd00:ec2::254]/latest/meta-data/',
      'https://100.100.100.200/latest/meta-data/',
      'https://metadata.google.internal/computeMetadata/v1/',
      'https://instance-data/latest/meta-data/',
    ]) {
      assertProblem(await create(owner, { endpoint }), 400, /cloud metadata/, endpoint);
    }
    assertProblem(await create(owner, { endpoint: 'http://receiver.invalid/hooks' }), 400, /https/);
    assertProblem(await create(owner, { endpoint: 'https://user:pw@receiver.invalid/' }), 400, /credentials/);
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
      [{ headers: { 'X-Tenant': 'a\r\nInjected: 1' } }, /headers\.X-Tenant must be a valid HTTP field value/],
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

  test('custom headers must be valid HTTP fields that do not change how the request is carried', async () => {
    for (const value of ['a\u2028b', '\u010a', '\ud800', 'a\u007f', ' padded', 'tab\t', 'x'.repeat(1_001)]) {
      assertProblem(
        await create(owner, { headers: { 'X-Tenant': value } }),
        400,
        // A lone surrogate is refused sooner, by the JSON guard every management body passes.
        /headers\.X-Tenant must be a valid HTTP field value|must not contain lone surrogates/,
        JSON.stringify(value),
      );
    }
    for (const name of [
      'Trailer',
      'TE',
      'Connection',
      'Upgrade',
      'Transfer-Encoding',
      'Keep-Alive',
      'Proxy-Authorization',
      'Proxy-Anything',
      'Host',
      'Content-Length',
    ]) {
      assertProblem(
        await create(owner, { headers: { [name]: 'x' } }),
        400,
        new RegExp(`headers\\.${name} .*cannot be set`),
        name,
      );
    }
    assertProblem(await create(owner, { headers: { 'X\u00e9': 'x' } }), 400, /not a valid HTTP header name/);
    const created = await create(owner, { headers: { 'X-Accent': 'caf\u00e9', 'X-Inner': 'a b\tc' } });
    assert.equal(created.status, 201, 'obs-text, and spaces and tabs between characters, are valid');
    const id = String(created.body['id']);
    assertProblem(
      await call(owner, 'PATCH', `/v1/subscriptions/${id}`, { headers: { 'X-A': '\u2028' } }),
      400,
      /headers\.X-A/,
    );
    assert.deepEqual((await call(owner, 'GET', `/v1/subscriptions/${id}`)).body['headers'], {
      'X-Accent': 'caf\u00e9',
      'X-Inner': 'a b\tc',
    });
    await call(owner, 'DELETE', `/v1/subscriptions/${id}`);
  });

  test('credential and marked headers are redacted in every answer and not stored as they are', async () => {
    const created = await create(owner, {
      headers: {
        Authorization: 'Basic dXNlcjpwYXNz',
        Cookie: 'sid=cookie-value',
        'X-Stripe-Token': 'tok-value',
        'X-Secretish': 'marked-value',
        'X-Plain': 'shown',
      },
      secret_headers: ['X-Secretish'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = String(created.body['id']);
    const redacted = {
      Authorization: '[redacted]',
      Cookie: '[redacted]',
      'X-Stripe-Token': '[redacted]',
      'X-Secretish': '[redacted]',
      'X-Plain': 'shown',
    };
    assert.deepEqual(created.body['headers'], redacted);
    assert.deepEqual((created.body['secret_headers'] as string[]).sort(), [
      'Authorization',
      'Cookie',
      'X-Secretish',
      'X-Stripe-Token',
    ]);
    assert.deepEqual((await call(owner, 'GET', `/v1/subscriptions/${id}`)).body['headers'], redacted);
    const listed = (await call(owner, 'GET', '/v1/subscriptions')).body['data'] as Array<
      Record<string, unknown>
    >;
    assert.deepEqual(listed.find((s) => s['id'] === id)?.['headers'], redacted);
    // Marking an existing plain header secret seals it; the placeholder keeps the others.
    const marked = await call(owner, 'PATCH', `/v1/subscriptions/${id}`, { secret_headers: ['x-plain'] });
    assert.equal(marked.status, 200, JSON.stringify(marked.body));
    assert.equal((marked.body['headers'] as Record<string, string>)['X-Plain'], '[redacted]');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ headers: string }>(
      'SELECT headers::text AS headers FROM subscriptions WHERE id = $1',
      [id],
    );
    await client.end();
    for (const value of [
      'dXNlcjpwYXNz',
      'cookie-value',
      'tok-value',
      'marked-value',
      'shown',
      '[redacted]',
    ]) {
      assert.ok(!rows[0]!.headers.includes(value), `${value} is not stored as it is`);
    }
    assertProblem(
      await create(owner, { headers: { 'X-A': '[redacted]' } }),
      400,
      /headers\.X-A is "\[redacted\]", but no value is stored/,
    );
    assertProblem(
      await create(owner, { headers: { 'X-A': 'a' }, secret_headers: ['X-B'] }),
      400,
      /secret_headers: X-B is not one of/,
    );
    assertProblem(
      await create(owner, { secret_headers: ['bad name'] }),
      400,
      /secret_headers must be a header name/,
    );
    await call(owner, 'DELETE', `/v1/subscriptions/${id}`);
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
      ['GET', `/v1/subscriptions/${id}/stats`],
      ['GET', `/v1/deliveries?subscription_id=${id}`],
      ['POST', `/v1/subscriptions/${id}/replay`, { since: '2026-01-01T00:00:00Z' }],
      ['POST', `/v1/subscriptions/${id}/test`],
      ['GET', `/v1/deliveries/${deliveryId}`],
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

  test('the delivery log pages newest first by the one cursor rule; one delivery reads by id with its attempts', async () => {
    const id = String((await create(owner, {})).body['id']);
    const sent: string[] = [];
    for (let i = 0; i < 3; i++)
      sent.push(String((await call(owner, 'POST', `/v1/subscriptions/${id}/test`)).body['id']));
    const first = await call(owner, 'GET', `/v1/subscriptions/${id}/deliveries?limit=2`);
    assert.equal(first.status, 200);
    const firstIds = (first.body['data'] as Array<{ id: string }>).map((d) => d.id);
    assert.deepEqual(firstIds, [sent[2], sent[1]]);
    const cursor = String(first.body['next_cursor']);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    const second = await call(owner, 'GET', `/v1/subscriptions/${id}/deliveries?limit=2&cursor=${cursor}`);
    assert.deepEqual(
      (second.body['data'] as Array<{ id: string }>).map((d) => d.id),
      [sent[0]],
    );
    assert.equal(second.body['next_cursor'], null);
    assertProblem(await call(owner, 'GET', `/v1/subscriptions/${id}/deliveries?limit=101`), 400, /limit/);
    // A bare sequence number, as this cursor once was: not a cursor of the one format.
    assertProblem(await call(owner, 'GET', `/v1/subscriptions/${id}/deliveries?cursor=12`), 400, /cursor/);

    const one = await call(owner, 'GET', `/v1/deliveries/${sent[0]}`);
    assert.equal(one.status, 200);
    assert.equal(one.body['id'], sent[0]);
    assert.equal(one.body['subscription_id'], id);
    assert.equal(one.body['event_type'], 'webhook.test');
    assert.ok(Array.isArray(one.body['attempts']));
    assertProblem(await call(owner, 'GET', '/v1/deliveries/dlv_none'), 404, /no delivery/);
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
