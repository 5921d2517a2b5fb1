import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventBus } from '@hub/bus';
import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { asMessage, canonicalEvent, type EventSpec } from '../support/canonical-events.js';
import { collect, eventually, unique, type Collector } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { postgresLogFixture, type TransportFixture } from '../support/transports.js';
import { TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * The projector's routes for the console, over HTTP against a real projector: the field paths
 * seen, the recent state changes (each the message the bus carried), and search on the lists.
 * One transport: these routes only read what the projection wrote, whichever bus fed it.
 */
after(stopEmbeddedTestServer);

interface Page<T> {
  data: T[];
  next_cursor: string | null;
}
interface Field {
  entity_type: string;
  path: string;
  types: string[];
  documents: number;
}
type Message = Record<string, unknown> & { data: Record<string, unknown> };

describe('projector console API', { timeout: 300_000 }, () => {
  let fixture: TransportFixture;
  let app: AppProcess;
  let base: string;
  let bus: EventBus;
  let changes: Collector;
  let tenantA: Tenant;
  let tenantB: Tenant;
  const run = unique('c').replace('-', '');
  const projectA = `pylon-observer:proj-${run}`;
  const customerA = `opensolar:cust-${run}`;
  const projectB = `pylon-observer:theirs-${run}`;

  const publish = async (topic: string, ...specs: EventSpec[]) => {
    await bus.publish(topic, specs.map(canonicalEvent).map(asMessage));
  };
  const api = (tenant: Tenant, path: string) =>
    fetch(`${base}${path}`, { headers: { authorization: `Bearer ${tenant.api_key}` } });
  const page = async <T>(tenant: Tenant, path: string): Promise<Page<T>> => {
    const response = await api(tenant, path);
    assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
    return (await response.json()) as Page<T>;
  };
  const atVersion = (tenant: Tenant, path: string, version: number) =>
    eventually(async () => {
      const response = await api(tenant, path);
      return response.status === 200 && ((await response.json()) as { version: number }).version === version;
    });
  const problem = async (tenant: Tenant, path: string) => {
    const response = await api(tenant, path);
    assert.equal(response.status, 400, path);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    return (await response.json()) as { status: number; detail: string };
  };

  before(async () => {
    fixture = await postgresLogFixture();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = runProcess('dist/apps/projector/src/main.js', {
      ...fixture.env,
      PROJECTOR_PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    await waitForHealthy(base, 60_000);
    tenantA = await createTenant(fixture.env, 'Tenant A');
    tenantB = await createTenant(fixture.env, 'Tenant B');
    bus = await fixture.createBus('console-api-test');
    changes = (await collect(bus, unique('changes'), [TEST_TOPICS.stateChanges])).collector;
    const project = {
      tenant: tenantA.tenant_id,
      externalId: `proj-${run}`,
      data: { stage: 'Lead', reference_number: `REF-${run}`, systems: [{ modules: [{ sku: 'M1' }] }] },
    };
    // One at a time: the topics are consumed side by side, and the test checks the order applied.
    await publish(TEST_TOPICS.projects, project, {
      tenant: tenantB.tenant_id,
      externalId: `theirs-${run}`,
      data: { stage: 'Lead', only_theirs: true },
    });
    await atVersion(tenantA, `/v1/projects/${projectA}`, 1);
    await publish(TEST_TOPICS.customers, {
      tenant: tenantA.tenant_id,
      provider: 'opensolar',
      type: 'customer.upserted',
      externalId: `cust-${run}`,
      data: { first_name: 'Ada', last_name: `Lovelace${run}`, email: `ada.${run}@example.com` },
    });
    await atVersion(tenantA, `/v1/customers/${customerA}`, 1);
    await publish(TEST_TOPICS.projects, { ...project, data: { ...project.data, stage: 'Sold' } });
    await atVersion(tenantA, `/v1/projects/${projectA}`, 2);
    await atVersion(tenantB, `/v1/projects/${projectB}`, 1);
  });
  after(async () => {
    await app?.stop('SIGTERM');
    await fixture?.close();
  });

  test('fields: the paths of the tenant’s documents with their types and counts, never another tenant’s', async () => {
    const projects = await page<Field>(tenantA, '/v1/fields?entity_type=project');
    const byPath = new Map(projects.data.map((field) => [field.path, field]));
    assert.deepEqual(byPath.get('project.stage'), {
      entity_type: 'project',
      path: 'project.stage',
      types: ['string'],
      documents: 1,
    });
    assert.deepEqual(byPath.get('project.systems.modules.sku')?.types, ['string']);
    assert.deepEqual(byPath.get('project.systems')?.types, ['array']);
    assert.ok(!byPath.has('project.only_theirs'), 'another tenant’s field');
    assert.ok(projects.data.every((field) => field.entity_type === 'project'));
    const paths = projects.data.map((field) => field.path);
    assert.deepEqual(paths, [...paths].sort(), 'sorted by path');

    const all = await page<Field>(tenantA, '/v1/fields');
    assert.ok(all.data.some((field) => field.path === 'customer.email'));
    const theirs = await page<Field>(tenantB, '/v1/fields?entity_type=project');
    assert.ok(theirs.data.some((field) => field.path === 'project.only_theirs'));
    assert.ok(!theirs.data.some((field) => field.path.startsWith('project.systems')));

    const first = await page<Field>(tenantA, '/v1/fields?limit=2');
    const rest = await page<Field>(tenantA, `/v1/fields?cursor=${first.next_cursor}`);
    assert.deepEqual([...first.data, ...rest.data], all.data, 'pages by path');
    assert.match((await problem(tenantA, '/v1/fields?entity_type=site')).detail, /entity_type/);
  });

  test('changes: newest first, each the message the bus carried, paged, tenant-isolated', async () => {
    const recent = await page<Message>(tenantA, '/v1/changes');
    assert.deepEqual(
      recent.data.map((change) => [change['type'], change['subject'], change.data['version']]),
      [
        ['project.updated', projectA, 2],
        ['customer.created', customerA, 1],
        ['project.created', projectA, 1],
      ],
    );
    await changes.waitFor(() => published(projectA).length >= 2);
    const [created, updated] = published(projectA);
    // The cause's time is not kept: the listed change carries when it was applied.
    const { time, ...listed } = recent.data[0]!;
    const { time: _, ...sent } = updated!;
    assert.deepEqual(listed, sent);
    assert.ok(Date.parse(String(time)) <= Date.now());
    assert.deepEqual(recent.data[2]!.data, created!.data);
    assert.deepEqual(recent.data[0]!.data['changed_fields'], ['project.stage']);
    assert.equal((recent.data[0]!.data['document'] as Record<string, unknown>)['stage'], 'Sold');

    const pages: Message[] = [];
    let cursor: string | null = null;
    do {
      const next: Page<Message> = await page<Message>(
        tenantA,
        `/v1/changes?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      pages.push(...next.data);
      cursor = next.next_cursor;
    } while (cursor);
    assert.deepEqual(pages, recent.data, 'one at a time, the same changes in the same order');

    const customers = await page<Message>(tenantA, '/v1/changes?entity_type=customer');
    assert.deepEqual(
      customers.data.map((change) => change['subject']),
      [customerA],
    );
    const theirs = await page<Message>(tenantB, '/v1/changes');
    assert.deepEqual(
      theirs.data.map((change) => change['subject']),
      [projectB],
    );
    const future = await page<Message>(tenantA, '/v1/changes?since=2999-01-01T00:00:00Z');
    assert.deepEqual(future.data, []);
    await problem(tenantA, '/v1/changes?since=yesterday');
    await problem(tenantA, '/v1/changes?limit=101');
    const otherList = await page<Field>(tenantA, '/v1/fields?limit=1');
    await problem(tenantA, `/v1/changes?cursor=${otherList.next_cursor}`);
  });

  test('q finds by name, email and reference, with the other filters, and is at most 200 characters', async () => {
    const ids = async (path: string) => (await page<{ id: string }>(tenantA, path)).data.map((e) => e.id);
    assert.deepEqual(await ids(`/v1/projects?q=ref-${run}`), [projectA]);
    assert.deepEqual(await ids(`/v1/projects?q=REF-${run}&stage=Sold`), [projectA]);
    assert.deepEqual(await ids(`/v1/projects?q=REF-${run}&stage=Lead`), []);
    assert.deepEqual(await ids(`/v1/projects?q=theirs-${run}`), [], 'another tenant’s project');
    assert.deepEqual(await ids(`/v1/customers?q=${encodeURIComponent(`ADA.${run}@EXAMPLE`)}`), [customerA]);
    assert.deepEqual(await ids(`/v1/customers?q=${encodeURIComponent(`ada lovelace${run}`)}`), [customerA]);
    assert.deepEqual(await ids(`/v1/customers?q=cust-${run}`), [customerA]);
    const tooLong = await problem(tenantA, `/v1/projects?q=${'x'.repeat(201)}`);
    assert.match(tooLong.detail, /q must be 1 to 200 characters/);
    await problem(tenantA, '/v1/monitors?q=');
  });

  function published(subject: string): Message[] {
    return changes.messages
      .map((message) => JSON.parse(message.value.toString()) as Message)
      .filter((change) => change['subject'] === subject);
  }
});
