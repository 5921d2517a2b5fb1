import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startApps, type AppName, type RunningApps } from '../support/app-process.js';
import { eventually, pause } from '../support/collector.js';
import { createTestDatabase, stopEmbeddedTestServer, type TestDatabase } from '../support/database.js';
import { createTenant, postJson, type Tenant } from '../support/tenants.js';

/**
 * API keys over real sockets, on the three apps as processes sharing one database: keys made,
 * listed and revoked on the projector and through the CLI; a read key refused (403) on every
 * route of every app's OpenAPI document that is not a GET, and answered like a write key on every
 * GET; a revoked key refused (401) by every app from the next request on.
 */
after(stopEmbeddedTestServer);

const APPS: AppName[] = ['ingest', 'projector', 'dispatcher'];
/** Routes that are public by design (as in test/hostile): no key is checked on them. */
const PUBLIC_ROUTES = [
  /^\/health(\/live|\/ready)?$/,
  /^\/openapi\.(json|yaml)$/,
  /^\/docs/,
  /^\/v1\/ingest\//,
];
/** `.invalid` never resolves (RFC 6761): nothing is ever sent there. */
const PUBLIC_ENDPOINT = 'https://receiver.invalid/hooks';

interface KeyView {
  id: string;
  name: string;
  scope: 'read' | 'write';
  prefix: string;
  last_four: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}
type CreatedKey = KeyView & { api_key: string };

describe('API keys', { timeout: 300_000 }, () => {
  let database: TestDatabase;
  let apps: RunningApps;
  let owner: Tenant;
  let other: Tenant;
  const url = (app: AppName, path: string) => `${apps.urls[app]}${path}`;

  before(async () => {
    database = await createTestDatabase();
    apps = await startApps(APPS, { DATABASE_URL: database.url, OUTBOUND_ALLOW_PRIVATE: 'false' });
    owner = await createTenant({ DATABASE_URL: database.url }, 'Owner');
    other = await createTenant({ DATABASE_URL: database.url }, 'Other');
  });
  after(async () => {
    await apps?.stop();
    await database?.drop();
  });

  const call = (app: AppName, method: string, path: string, key: string, body?: unknown) =>
    fetch(url(app, path), {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });

  async function createKey(key: string, body: unknown): Promise<CreatedKey> {
    const response = await call('projector', 'POST', '/v1/api-keys', key, body);
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as CreatedKey;
  }

  async function listKeys(key: string, query = ''): Promise<{ data: KeyView[]; next_cursor: string | null }> {
    const response = await call('projector', 'GET', `/v1/api-keys${query}`, key);
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as { data: KeyView[]; next_cursor: string | null };
  }

  async function expectProblem(response: Response, status: number, detail?: RegExp): Promise<void> {
    const text = await response.text();
    assert.equal(response.status, status, text);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const problem = JSON.parse(text) as { status: number; detail: string };
    assert.equal(problem.status, status);
    if (detail) assert.match(problem.detail, detail);
  }

  test('a key is shown once, when made; the listing shows its prefix and last four, never the key', async () => {
    const read = await createKey(owner.api_key, { name: 'CRM dashboard' });
    const write = await createKey(owner.api_key, { name: 'Ops', scope: 'write' });
    assert.equal(read.scope, 'read', 'read unless asked');
    assert.equal(write.scope, 'write');
    for (const key of [read, write]) {
      assert.match(key.api_key, /^hub_[A-Za-z0-9_-]{43}$/);
      assert.equal(key.prefix, key.api_key.slice(0, 10));
      assert.equal(key.last_four, key.api_key.slice(-4));
      assert.equal(key.last_used_at, null);
      assert.equal(key.revoked_at, null);
      assert.ok(Date.parse(key.created_at) > Date.now() - 60_000);
    }
    const response = await call('projector', 'GET', '/v1/api-keys', owner.api_key);
    const text = await response.text();
    for (const secret of [read.api_key, write.api_key, owner.api_key])
      assert.ok(!text.includes(secret), 'no key appears in the listing');
    assert.ok(!text.includes('api_key'), 'the listing has no api_key field');
    const listed = (JSON.parse(text) as { data: KeyView[] }).data;
    const { api_key: _readSecret, ...readView } = read;
    const { api_key: _writeSecret, ...writeView } = write;
    assert.deepEqual(
      listed.filter((key) => [read.id, write.id].includes(key.id)),
      [readView, writeView],
    );
    const initial = listed[0]!;
    assert.equal(initial.name, 'initial', "tenant:create's key comes first");
    assert.equal(initial.scope, 'write');
    assert.equal(initial.last_four, owner.api_key.slice(-4));
  });

  test("a read key gets 403 on every write route of every app's OpenAPI document, and on GETs what a write key gets", async () => {
    const readKey = await createKey(owner.api_key, { name: 'CRM', scope: 'read' });
    const sourceId = (
      await postJson(url('ingest', ''), owner.api_key, '/v1/sources', {
        provider: 'observer',
        name: 'Observer',
      })
    )['id']!;
    const subscriptionId = (
      await postJson(url('dispatcher', ''), owner.api_key, '/v1/subscriptions', {
        endpoint: PUBLIC_ENDPOINT,
        enabled: false,
      })
    )['id']!;
    // Real ids where the tenant has them, so the GETs reach their rows.
    const idFor = (template: string) =>
      template.startsWith('/v1/sources')
        ? sourceId
        : template.startsWith('/v1/subscriptions') || template.startsWith('/v1/hooks')
          ? subscriptionId
          : template.startsWith('/v1/api-keys')
            ? readKey.id
            : template.startsWith('/v1/deliveries')
              ? 'dlv_unknown'
              : 'opensolar:8812';
    const checked: string[] = [];
    const failures: string[] = [];
    for (const app of APPS) {
      const document = (await (await fetch(url(app, '/openapi.json'))).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      for (const [template, operations] of Object.entries(document.paths)) {
        if (PUBLIC_ROUTES.some((pattern) => pattern.test(template))) continue;
        const path = template.replace(/\{[^}]+\}/g, idFor(template));
        for (const method of Object.keys(operations).map((m) => m.toUpperCase())) {
          const route = `${app} ${method} ${template}`;
          checked.push(route);
          if (method === 'GET') {
            const asRead = await call(app, method, path, readKey.api_key);
            const asWrite = await call(app, method, path, owner.api_key);
            if (asRead.status !== asWrite.status || [401, 403].includes(asRead.status))
              failures.push(`${route}: read key ${asRead.status}, write key ${asWrite.status}`);
            continue;
          }
          // A body that would pass validation: the scope, not the body, must be what answers.
          const body = template.endsWith('/replay') ? { since: '2020-01-01T00:00:00Z' } : {};
          const response = await call(app, method, path, readKey.api_key, body);
          const text = await response.text();
          const problem = response.headers.get('content-type')?.startsWith('application/problem+json');
          if (response.status !== 403 || !problem || !text.includes('read scope'))
            failures.push(`${route}: ${response.status} ${text}`);
        }
      }
    }
    assert.deepEqual(failures, []);
    for (const route of [
      'ingest POST /v1/sources',
      'ingest PATCH /v1/sources/{id}',
      'ingest DELETE /v1/sources/{id}',
      'ingest GET /v1/sources/{id}/stats',
      'projector GET /v1/projects',
      'projector POST /v1/api-keys',
      'projector DELETE /v1/api-keys/{id}',
      'dispatcher POST /v1/subscriptions/{id}/replay',
      'dispatcher POST /v1/deliveries/{id}/retry',
      'dispatcher DELETE /v1/hooks/{id}',
    ])
      assert.ok(
        checked.includes(route),
        `${route} is in the OpenAPI documents (checked: ${checked.join(', ')})`,
      );

    // HEAD is a read too (Fastify answers it for every GET route).
    assert.equal((await call('projector', 'HEAD', '/v1/projects', readKey.api_key)).status, 200);

    // Nothing the read key sent changed anything.
    assert.equal((await call('ingest', 'GET', `/v1/sources/${sourceId}`, owner.api_key)).status, 200);
    assert.equal(
      (await call('dispatcher', 'GET', `/v1/subscriptions/${subscriptionId}`, owner.api_key)).status,
      200,
    );
    const keys = (await listKeys(owner.api_key)).data;
    assert.equal(
      keys.find((key) => key.id === readKey.id)?.revoked_at,
      null,
      'the read key could not revoke itself',
    );
    assert.ok(!keys.some((key) => key.name === '{}'));
  });

  test('last_used_at is recorded on first use, and not rewritten within a minute', async () => {
    const key = await createKey(owner.api_key, { name: 'Usage' });
    const lastUsed = async () =>
      (await listKeys(owner.api_key)).data.find((k) => k.id === key.id)!.last_used_at;
    assert.equal(await lastUsed(), null);
    const before = Date.now();
    assert.equal((await call('ingest', 'GET', '/v1/sources', key.api_key)).status, 200);
    await eventually(async () => (await lastUsed()) !== null, 10_000);
    const first = (await lastUsed())!;
    assert.ok(Date.parse(first) >= before - 1_000 && Date.parse(first) <= Date.now());
    await pause(50);
    for (const app of APPS) assert.equal((await call(app, 'GET', '/v1/tenant', key.api_key)).status, 200);
    await pause(500);
    assert.equal(await lastUsed(), first, 'one write a minute at most');
  });

  test('a revoked key is refused (401) by every app from the next request on', async () => {
    const key = await createKey(owner.api_key, { name: 'Leaked', scope: 'write' });
    for (const app of APPS) assert.equal((await call(app, 'GET', '/v1/tenant', key.api_key)).status, 200);
    const revoked = await call('projector', 'DELETE', `/v1/api-keys/${key.id}`, owner.api_key);
    assert.equal(revoked.status, 204);
    assert.equal(await revoked.text(), '');
    for (const app of APPS)
      await expectProblem(await call(app, 'GET', '/v1/tenant', key.api_key), 401, /unknown or revoked/);
    const listed = (await listKeys(owner.api_key)).data.find((k) => k.id === key.id)!;
    assert.ok(listed.revoked_at !== null && Date.parse(listed.revoked_at) <= Date.now());
    // Again: nothing changes.
    assert.equal((await call('projector', 'DELETE', `/v1/api-keys/${key.id}`, owner.api_key)).status, 204);
    assert.equal(
      (await listKeys(owner.api_key)).data.find((k) => k.id === key.id)!.revoked_at,
      listed.revoked_at,
    );
  });

  test("a tenant neither sees nor revokes another tenant's keys", async () => {
    const key = await createKey(owner.api_key, { name: 'Mine' });
    for (const id of [key.id, randomUUID(), 'not-a-key-id'])
      await expectProblem(
        await call('projector', 'DELETE', `/v1/api-keys/${id}`, other.api_key),
        404,
        /no API key/,
      );
    const theirs = await call('projector', 'GET', '/v1/api-keys', other.api_key);
    const text = await theirs.text();
    assert.ok(!text.includes(key.id) && !text.includes(owner.tenant_id));
    assert.equal((await listKeys(owner.api_key)).data.find((k) => k.id === key.id)?.revoked_at, null);
  });

  test('a key may revoke itself, but never the last active write key (409)', async () => {
    const tenant = await createTenant({ DATABASE_URL: database.url }, 'Alone');
    const [initial] = (await listKeys(tenant.api_key)).data;
    await expectProblem(
      await call('projector', 'DELETE', `/v1/api-keys/${initial!.id}`, tenant.api_key),
      409,
      /last active write key/,
    );
    const reader = await createKey(tenant.api_key, { name: 'Reader', scope: 'read' });
    await expectProblem(
      await call('projector', 'DELETE', `/v1/api-keys/${initial!.id}`, tenant.api_key),
      409,
      /last active write key/,
    );
    const successor = await createKey(tenant.api_key, { name: 'Successor', scope: 'write' });
    // Rotation: the old key revokes itself once a successor exists.
    assert.equal(
      (await call('projector', 'DELETE', `/v1/api-keys/${initial!.id}`, tenant.api_key)).status,
      204,
    );
    await expectProblem(await call('projector', 'GET', '/v1/api-keys', tenant.api_key), 401);
    await expectProblem(
      await call('projector', 'DELETE', `/v1/api-keys/${successor.id}`, successor.api_key),
      409,
      /last active write key/,
    );
    // A read key is never the one keeping the tenant in: it goes without a fuss.
    assert.equal(
      (await call('projector', 'DELETE', `/v1/api-keys/${reader.id}`, successor.api_key)).status,
      204,
    );
  });

  test('bodies and queries are validated: 400 problems naming what is wrong; lists page', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /name/],
      [{ name: '   ' }, /name must not be only spaces/],
      [{ name: 'x'.repeat(201) }, /name/],
      [{ name: 'x', scope: 'admin' }, /scope must be one of read, write/],
      [{ name: 'x', extra: 1 }, /extra/],
      ['[]', /.+/],
    ];
    for (const [body, detail] of cases)
      await expectProblem(await call('projector', 'POST', '/v1/api-keys', owner.api_key, body), 400, detail);
    for (const query of ['?limit=0', '?limit=101', '?limit=x', '?cursor=abc'])
      await expectProblem(await call('projector', 'GET', `/v1/api-keys${query}`, owner.api_key), 400);
    const all = (await listKeys(owner.api_key, '?limit=100')).data;
    assert.ok(all.length >= 3);
    const first = await listKeys(owner.api_key, '?limit=2');
    assert.equal(first.data.length, 2);
    assert.ok(first.next_cursor, 'a second page follows');
    const rest = await listKeys(owner.api_key, `?limit=100&cursor=${first.next_cursor}`);
    assert.deepEqual(
      [...first.data, ...rest.data].map((key) => key.id),
      all.map((key) => key.id),
    );
    assert.equal(rest.next_cursor, null);
  });

  test('the projector serves the API-keys API in its OpenAPI document; the other apps do not', async () => {
    for (const app of APPS) {
      const document = (await (await fetch(url(app, '/openapi.json'))).json()) as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      };
      const served = '/v1/api-keys' in document.paths;
      assert.equal(served, app === 'projector', app);
      if (!served) {
        assert.equal((await call(app, 'GET', '/v1/api-keys', owner.api_key)).status, 404);
        continue;
      }
      const responses = (path: string, method: string) =>
        Object.keys(document.paths[path]![method]!.responses).sort();
      // The errors every route of its kind has (400, 401, 500; 403 for a read key on anything but a
      // GET; 404 with an id; 413 and 415 with a body) and the revoke's own 409.
      assert.deepEqual(responses('/v1/api-keys', 'post'), ['201', '400', '401', '403', '413', '415', '500']);
      assert.deepEqual(responses('/v1/api-keys', 'get'), ['200', '400', '401', '500']);
      assert.deepEqual(responses('/v1/api-keys/{id}', 'delete'), [
        '204',
        '400',
        '401',
        '403',
        '404',
        '409',
        '500',
      ]);
    }
  });

  describe('the CLI', () => {
    test('--help exits 0 and lists every command the CLI has', async () => {
      const help = await cli(['--help']);
      assert.equal(help.code, 0);
      assert.equal(help.stderr, '');
      // The commands as the CLI's COMMANDS table declares them, so a command added later is held to it too.
      const declared = [
        ...readFileSync('tools/cli.ts', 'utf8').matchAll(/^ {2}'([a-z]+:[a-z-]+)': \{$/gm),
      ].map((match) => match[1]!);
      assert.ok(declared.length >= 6, `found the commands: ${declared.join(', ')}`);
      for (const command of ['tenant:create', 'key:create', 'key:list', 'key:revoke'])
        assert.ok(declared.includes(command));
      for (const command of declared)
        assert.match(help.stdout, new RegExp(`^ {2}${command} `, 'm'), `--help lists ${command}`);
      assert.equal((await cli(['-h'])).stdout, help.stdout);
    });

    test('an unknown command is named, with the usage, and exits 2; so are wrong arguments', async () => {
      const unknown = await cli(['foo']);
      assert.equal(unknown.code, 2);
      assert.equal(unknown.stdout, '');
      assert.match(unknown.stderr, /^cli: unknown command "foo"\nusage: /);
      assert.match(unknown.stderr, /key:revoke/);
      const none = await cli([]);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /^cli: no command given\nusage: /);
      const wrongArguments = [
        ['key:create', owner.tenant_id],
        ['key:create', owner.tenant_id, '--name', 'x', '--scope', 'admin'],
        ['key:create', 'not-a-tenant', '--name', 'x'],
        ['key:list'],
        ['key:revoke', owner.tenant_id],
      ];
      // Together: each CLI process spends seconds loading its modules on a busy machine.
      const answers = await Promise.all(wrongArguments.map((args) => cli(args)));
      wrongArguments.forEach((args, i) => {
        assert.equal(answers[i]!.code, 2, args.join(' '));
        assert.match(answers[i]!.stderr, new RegExp(`^cli: wrong arguments for ${args[0]}\nusage: `));
      });
    });

    test('key:create, key:list and key:revoke round-trip with the API', async () => {
      const created = await cli(['key:create', owner.tenant_id, '--scope', 'read', '--name', 'From the CLI']);
      assert.equal(created.code, 0, created.stderr);
      const lines = created.stdout.trim().split('\n');
      assert.equal(lines.length, 1, 'one JSON line');
      const key = JSON.parse(lines[0]!) as CreatedKey;
      assert.equal(key.name, 'From the CLI');
      assert.equal(key.scope, 'read');
      assert.equal((await call('projector', 'GET', '/v1/projects', key.api_key)).status, 200);
      await expectProblem(
        await call('ingest', 'POST', '/v1/sources', key.api_key, { provider: 'observer', name: 'x' }),
        403,
      );

      const listed = await cli(['key:list', owner.tenant_id]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.ok(!listed.stdout.includes(key.api_key) && !listed.stdout.includes(owner.api_key));
      const { data } = JSON.parse(listed.stdout) as { data: KeyView[] };
      const { api_key: _secret, ...view } = key;
      const listedKey = data.find((k) => k.id === key.id)!;
      assert.deepEqual({ ...listedKey, last_used_at: null }, view);
      assert.ok(listedKey.last_used_at, 'the request above was recorded');
      assert.deepEqual(
        data.map((k) => k.id),
        (await listKeys(owner.api_key, '?limit=100')).data.map((k) => k.id),
      );

      const revoked = await cli(['key:revoke', owner.tenant_id, key.id]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.ok((JSON.parse(revoked.stdout) as KeyView).revoked_at);
      await expectProblem(await call('projector', 'GET', '/v1/projects', key.api_key), 401);

      const missing = await cli(['key:revoke', other.tenant_id, key.id]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no API key/);
      const noTenant = await cli(['key:create', randomUUID(), '--name', 'x']);
      assert.equal(noTenant.code, 1);
      assert.match(noTenant.stderr, /no tenant/);
    });

    function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      return new Promise((resolve) => {
        execFile(
          process.execPath,
          ['dist/tools/cli.js', ...args],
          { env: { PATH: process.env['PATH'] ?? '', DATABASE_URL: database.url } },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
    }
  });
});
