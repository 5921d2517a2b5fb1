import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApps, type RunningApps } from '../support/app-process.js';
import { eventually } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { PROVIDER_CASES, send } from '../support/provider-requests.js';
import { createTenant, postJson, type Tenant } from '../support/tenants.js';
import { postgresLogFixture, type TransportFixture } from '../support/transports.js';

/**
 * What the console reads and does on a source, through the ingest app as a process: the stats'
 * windows and rotating the secret. Neither depends on the transport: the Postgres log only.
 */
after(stopEmbeddedTestServer);

const PYLON = PROVIDER_CASES.find((c) => c.provider === 'pylon-observer')!;

interface Counts {
  accepted: number;
  rejected: number;
  unmapped: number;
}

interface Stats {
  accepted: number;
  unmapped: { count: number };
  rejected: Record<string, { count: number }>;
  last_hour: Counts;
  last_day: Counts;
}

interface SourceView {
  id: string;
  ingest_url: string;
  secret?: string;
}

describe('sources for the console [postgres-log]', { timeout: 120_000 }, () => {
  let fixture: TransportFixture;
  let apps: RunningApps;
  let base: string;
  let tenantA: Tenant;
  let tenantB: Tenant;

  before(async () => {
    fixture = await postgresLogFixture();
    apps = await startApps(['ingest'], fixture.env);
    base = apps.urls.ingest;
    tenantA = await createTenant(fixture.env, 'Tenant A');
    tenantB = await createTenant(fixture.env, 'Tenant B');
  });
  after(async () => {
    await apps?.stop();
    await fixture?.close();
  });

  const createSource = async (tenant: Tenant) =>
    (await postJson(base, tenant.api_key, '/v1/sources', {
      provider: PYLON.provider,
      name: 'Console source',
    })) as unknown as SourceView;

  const call = (tenant: Tenant, method: string, path: string) =>
    fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${tenant.api_key}` } });

  const statsOf = async (tenant: Tenant, sourceId: string): Promise<Stats> => {
    const response = await call(tenant, 'GET', `/v1/sources/${sourceId}/stats`);
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Stats;
  };

  test('stats count the last hour and day beside the totals', async () => {
    const source = await createSource(tenantA);
    const secret = source.secret!;
    assert.equal((await send(base, source.id, PYLON.request(secret))).status, 200);
    assert.equal((await send(base, source.id, PYLON.request(secret))).status, 200);
    assert.equal((await send(base, source.id, PYLON.request(`${secret}-wrong`))).status, 401);
    const unmappable = PYLON.sign(secret, JSON.stringify({ team: 'not an object' }));
    assert.equal((await send(base, source.id, unmappable)).status, 200);
    const expected = { accepted: 2, rejected: 1, unmapped: 1 };
    await eventually(async () => (await statsOf(tenantA, source.id)).last_day.unmapped === 1, 5_000);
    const stats = await statsOf(tenantA, source.id);
    assert.deepEqual(stats.last_hour, expected);
    assert.deepEqual(stats.last_day, expected);
    assert.equal(stats.accepted, 2, 'the totals are still there');
    assert.equal(stats.unmapped.count, 1);
    assert.equal(stats.rejected['unauthorized_mismatch']?.count, 1);
  });

  test('rotate-secret answers the new secret once; ingest then refuses the old one and takes the new', async () => {
    const source = await createSource(tenantA);
    const old = source.secret!;
    assert.equal((await send(base, source.id, PYLON.request(old))).status, 200);

    const response = await call(tenantA, 'POST', `/v1/sources/${source.id}/rotate-secret`);
    assert.equal(response.status, 200, await response.clone().text());
    const rotated = (await response.json()) as SourceView;
    assert.equal(rotated.id, source.id);
    assert.ok(rotated.secret && rotated.secret !== old, 'a new secret is shown');
    const shown = (await (await call(tenantA, 'GET', `/v1/sources/${source.id}`)).json()) as SourceView;
    assert.equal(shown.secret, undefined, 'and never again');

    // Ingest keeps a source for up to a second.
    await eventually(async () => (await send(base, source.id, PYLON.request(old))).status === 401, 5_000);
    assert.equal((await send(base, source.id, PYLON.request(rotated.secret))).status, 200);
  });

  test("rotate-secret is a 404 on another tenant's source and leaves its secret alone", async () => {
    const source = await createSource(tenantA);
    const response = await call(tenantB, 'POST', `/v1/sources/${source.id}/rotate-secret`);
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal((await send(base, source.id, PYLON.request(source.secret!))).status, 200);
  });

  test('rotate-secret is a 409 on a source without verification', async () => {
    const source = await postJson(base, tenantA.api_key, '/v1/sources', {
      provider: PYLON.provider,
      name: 'Unverified',
      verification: 'none',
    });
    const response = await call(tenantA, 'POST', `/v1/sources/${source['id']}/rotate-secret`);
    assert.equal(response.status, 409, await response.clone().text());
  });
});
