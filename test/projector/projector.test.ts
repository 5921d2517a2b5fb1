import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ConsumedMessage, EventBus } from '@hub/bus';
import { freePort } from '@hub/persistence';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { runProcess, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { asMessage, canonicalEvent, type EventSpec } from '../support/canonical-events.js';
import { collect, eventually, pause, unique, type Collector } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { testSetting } from '../support/test-env.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { TEST_GROUP_IDS, TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * The projector as a process on each transport: canonical events in through the real bus, the
 * query API's answers and the state changes on the bus checked.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const TOPICS = TEST_TOPICS;

interface Entity {
  id: string;
  version: number;
  document: Record<string, unknown>;
}

for (const transport of cases) {
  describe(`projector [${transport.name}]`, { skip: transport.skip ?? false, timeout: 300_000 }, () => {
    let fixture: TransportFixture;
    let app: AppProcess;
    let base: string;
    let bus: EventBus;
    let changes: Collector;
    let deadLetters: Collector;
    let tenantA: Tenant;
    let tenantB: Tenant;

    before(async () => {
      fixture = await transport.setup();
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      app = runProcess('dist/apps/projector/src/main.js', {
        ...fixture.env,
        PROJECTOR_PORT: String(port),
        // Not the default (0, the app's thread consumes): the worker-thread path, split between two.
        PROJECTOR_CONSUMERS: '2',
        LOG_LEVEL: 'warn',
      });
      await waitForHealthy(base, 60_000);
      tenantA = await createTenant(fixture.env, 'Tenant A');
      tenantB = await createTenant(fixture.env, 'Tenant B');
      bus = await fixture.createBus('projector-test');
      changes = (await collect(bus, unique('changes'), [TOPICS.stateChanges])).collector;
      deadLetters = (await collect(bus, unique('dead'), [TOPICS.deadLetters])).collector;
    });
    after(async () => {
      await app?.stop('SIGTERM');
      await fixture?.close();
    });

    const publish = async (...specs: EventSpec[]) => {
      const events = specs.map(canonicalEvent);
      await bus.publish(TOPICS.projects, events.map(asMessage));
      return events;
    };
    const api = async (tenant: Tenant, path: string) =>
      fetch(`${base}${path}`, { headers: { authorization: `Bearer ${tenant.api_key}` } });
    const entity = async (tenant: Tenant, path: string) => (await (await api(tenant, path)).json()) as Entity;
    const changesOf = (subject: string) =>
      changes.messages.map(parse).filter((change) => change['subject'] === subject);
    const untilVersion = (tenant: Tenant, path: string, version: number) =>
      eventually(async () => {
        const response = await api(tenant, path);
        return response.status === 200 && ((await response.json()) as Entity).version === version;
      });

    test(`[${transport.name}] creates a project, then records a change with its changed fields and history`, async () => {
      const externalId = unique('proj');
      const subject = `pylon-observer:${externalId}`;
      await publish({
        tenant: tenantA.tenant_id,
        externalId,
        data: { stage: 'Lead', address: { zip: '2000' } },
      });
      await untilVersion(tenantA, `/v1/projects/${subject}`, 1);
      await publish({
        tenant: tenantA.tenant_id,
        externalId,
        data: { stage: 'Sold', address: { zip: '2000' } },
      });
      await untilVersion(tenantA, `/v1/projects/${subject}`, 2);
      const project = await entity(tenantA, `/v1/projects/${subject}`);
      assert.equal(project.document['stage'], 'Sold');
      const history = (await (await api(tenantA, `/v1/projects/${subject}/history`)).json()) as {
        data: Array<{ version: number; changed_fields: string[] }>;
      };
      assert.deepEqual(
        history.data.map((h) => h.version),
        [1, 2],
      );
      assert.deepEqual(history.data[1]!.changed_fields, ['project.stage']);
      const first = (await (await api(tenantA, `/v1/projects/${subject}/history?limit=1`)).json()) as {
        data: Array<{ version: number }>;
        next_cursor: string;
      };
      assert.deepEqual(
        first.data.map((h) => h.version),
        [1],
      );
      const second = (await (
        await api(tenantA, `/v1/projects/${subject}/history?limit=1&cursor=${first.next_cursor}`)
      ).json()) as { data: Array<{ version: number }>; next_cursor: string | null };
      assert.deepEqual(
        second.data.map((h) => h.version),
        [2],
      );
      assert.equal(second.next_cursor, null, 'the last page');
      await changes.waitFor(() => changesOf(subject).length >= 2);
      const published = changesOf(subject);
      assert.deepEqual(
        published.map((c) => c['type']),
        ['project.created', 'project.updated'],
      );
      assert.deepEqual((published[1]!['data'] as Record<string, unknown>)['changed_fields'], [
        'project.stage',
      ]);
      assert.equal((published[1]!['data'] as Record<string, unknown>)['version'], 2);
    });

    test(`[${transport.name}] serves a document as written, in the provider's key order, and publishes the same document`, async () => {
      const externalId = unique('order');
      const subject = `pylon-observer:${externalId}`;
      // Not in jsonb's order (shorter keys first): a jsonb column would hand these back reordered.
      const data = { zeta_notes: 'north-facing', stage: 'Design', address: { zip: '2000', city: 'Sydney' } };
      const [event] = await publish({ tenant: tenantA.tenant_id, externalId, data });
      await untilVersion(tenantA, `/v1/projects/${subject}`, 1);
      const written = JSON.stringify((event as { data: unknown }).data);
      const served = await (await api(tenantA, `/v1/projects/${subject}`)).text();
      assert.ok(served.includes(`"document":${written}`), `${served} carries ${written}`);
      await changes.waitFor(() => changesOf(subject).length >= 1);
      const [created] = changes.messages.filter((message) => parse(message)['subject'] === subject);
      assert.ok(created!.value.toString().includes(`"document":${written}`));
      assert.deepEqual((parse(created!)['data'] as Record<string, unknown>)['document'], JSON.parse(written));
    });

    test(`[${transport.name}] a Pylon project arriving unchanged in three batches makes one version and one change`, async () => {
      const externalId = unique('pylon');
      const subject = `pylon-observer:${externalId}`;
      const data = { reference_number: 'Q142', designs: [{ uid: 'iCbguJJc', summary: { kw: 6.6 } }] };
      for (const batch of ['batch-1', 'batch-2', 'batch-3']) {
        await publish({ tenant: tenantA.tenant_id, externalId, data, delivery: batch });
      }
      // A real change on the same key comes after the three batches in the partition's order.
      await publish({ tenant: tenantA.tenant_id, externalId, data: { ...data, reference_number: 'Q143' } });
      await untilVersion(tenantA, `/v1/projects/${subject}`, 2);
      await changes.waitFor(() => changesOf(subject).length >= 2);
      await pause(300);
      assert.deepEqual(
        changesOf(subject).map((c) => c['type']),
        ['project.created', 'project.updated'],
        'the two resent batches published nothing',
      );
    });

    test(`[${transport.name}] an older snapshot never overwrites a newer one`, async () => {
      const externalId = unique('ooo');
      const subject = `opensolar:${externalId}`;
      await publish(
        {
          tenant: tenantA.tenant_id,
          provider: 'opensolar',
          externalId,
          data: { stage: 'Installed' },
          providerUpdatedAt: '2026-11-22T12:00:00.000Z',
        },
        {
          tenant: tenantA.tenant_id,
          provider: 'opensolar',
          externalId,
          data: { stage: 'Lead' },
          providerUpdatedAt: '2026-11-22T09:00:00.000Z',
        },
      );
      await publish({
        tenant: tenantA.tenant_id,
        provider: 'opensolar',
        externalId,
        data: { stage: 'Installed', notes: 'newest' },
        providerUpdatedAt: '2026-11-22T13:00:00.000Z',
      });
      await untilVersion(tenantA, `/v1/projects/${subject}`, 2);
      const history = (await (await api(tenantA, `/v1/projects/${subject}/history`)).json()) as {
        data: Array<{ document: Record<string, unknown> }>;
      };
      assert.deepEqual(
        history.data.map((h) => h.document['stage']),
        ['Installed', 'Installed'],
        'the older Lead snapshot never became a version',
      );
    });

    test(`[${transport.name}] a redelivered event changes nothing and publishes nothing again`, async () => {
      const externalId = unique('dup');
      const subject = `pylon-observer:${externalId}`;
      const [event] = await publish({ tenant: tenantA.tenant_id, externalId, data: { stage: 'A' } });
      await bus.publish(TOPICS.projects, [asMessage(event!)]);
      await bus.publish(TOPICS.projects, [asMessage(event!)]);
      await publish({ tenant: tenantA.tenant_id, externalId, data: { stage: 'B' } });
      await untilVersion(tenantA, `/v1/projects/${subject}`, 2);
      await changes.waitFor(() => changesOf(subject).length >= 2);
      await pause(300);
      assert.deepEqual(
        changesOf(subject).map((c) => (c['data'] as Record<string, unknown>)['version']),
        [1, 2],
      );
    });

    test(`[${transport.name}] keeps two tenants with the same external ids apart`, async () => {
      const externalId = unique('shared');
      const subject = `pylon-observer:${externalId}`;
      const onlyB = unique('only-b');
      await publish(
        { tenant: tenantA.tenant_id, externalId, data: { stage: 'A-stage' } },
        { tenant: tenantB.tenant_id, externalId, data: { stage: 'B-stage' } },
        { tenant: tenantB.tenant_id, externalId: onlyB },
      );
      // Each key has its own partition, applied in parallel: wait for every entity read below.
      await untilVersion(tenantA, `/v1/projects/${subject}`, 1);
      await untilVersion(tenantB, `/v1/projects/${subject}`, 1);
      await untilVersion(tenantB, `/v1/projects/pylon-observer:${onlyB}`, 1);
      assert.equal((await entity(tenantA, `/v1/projects/${subject}`)).document['stage'], 'A-stage');
      assert.equal((await entity(tenantB, `/v1/projects/${subject}`)).document['stage'], 'B-stage');
      const other = await api(tenantA, `/v1/projects/pylon-observer:${onlyB}`);
      assert.equal(other.status, 404);
      assert.match(other.headers.get('content-type') ?? '', /problem\+json/);
      const listed = (await (await api(tenantA, `/v1/projects?limit=100`)).json()) as { data: Entity[] };
      assert.ok(!listed.data.some((p) => p.id === `pylon-observer:${onlyB}`));
    });

    test(`[${transport.name}] filters lists by stage, provider and updated_since`, async () => {
      const stage = unique('stage');
      const externalId = unique('f');
      const before = new Date(Date.now() - 1_000).toISOString();
      await publish({ tenant: tenantA.tenant_id, provider: 'opensolar', externalId, data: { stage } });
      await untilVersion(tenantA, `/v1/projects/opensolar:${externalId}`, 1);
      const byStage = (await (await api(tenantA, `/v1/projects?stage=${stage}`)).json()) as {
        data: Entity[];
      };
      assert.deepEqual(
        byStage.data.map((p) => p.id),
        [`opensolar:${externalId}`],
      );
      const byProvider = (await (await api(tenantA, `/v1/projects?provider=opensolar&limit=100`)).json()) as {
        data: Entity[];
      };
      assert.ok(byProvider.data.every((p) => p.id.startsWith('opensolar:')));
      const future = (await (
        await api(tenantA, `/v1/projects?updated_since=2100-01-01T00:00:00Z`)
      ).json()) as { data: Entity[] };
      assert.deepEqual(future.data, []);
      const recent = (await (
        await api(tenantA, `/v1/projects?updated_since=${before}&stage=${stage}`)
      ).json()) as { data: Entity[] };
      assert.equal(recent.data.length, 1);
      const bad = await api(tenantA, `/v1/projects?updated_since=yesterday&limit=0`);
      assert.equal(bad.status, 400);
    });

    test(`[${transport.name}] pages every list by the one rule: limit up to 100, an opaque cursor`, async () => {
      assert.equal((await api(tenantA, '/v1/projects?limit=101')).status, 400);
      assert.equal((await api(tenantA, '/v1/customers?limit=100')).status, 200);
      // The id itself in base64url, as cursors were once: not a cursor of the one format.
      const oldCursor = Buffer.from('opensolar:1').toString('base64url');
      const refused = await api(tenantA, `/v1/projects?cursor=${oldCursor}`);
      assert.equal(refused.status, 400);
      assert.match(((await refused.json()) as { detail: string }).detail, /cursor/);
      const historyCursor = Buffer.from('["2"]').toString('base64url');
      assert.equal((await api(tenantA, `/v1/projects?cursor=${historyCursor}`)).status, 400);
      for (const type of ['projects', 'customers', 'monitors']) {
        const missing = await api(tenantA, `/v1/${type}/opensolar:${unique('none')}/activity`);
        assert.equal(missing.status, 404);
        assert.match(
          ((await missing.json()) as { detail: string }).detail,
          /^no (project|customer|monitor) /,
        );
      }
    });

    test(`[${transport.name}] paginates 1,000 projects without gaps or repeats while writes continue`, async () => {
      const tenant = await createTenant(fixture.env, 'Pagination');
      const ids = Array.from({ length: 1_000 }, (_, i) => `page-${String(i).padStart(4, '0')}`);
      for (let i = 0; i < ids.length; i += 250) {
        await publish(
          ...ids
            .slice(i, i + 250)
            .map((externalId) => ({ tenant: tenant.tenant_id, externalId, data: { stage: 'v1' } })),
        );
      }
      await eventually(async () => {
        const all = await listAll(tenant, 100);
        return all.length === 1_000;
      }, 120_000);
      let writing = true;
      const writer = (async () => {
        for (let round = 2; writing; round++) {
          const batch = ids.filter((_, i) => i % 7 === round % 7).slice(0, 50);
          await publish(
            ...batch.map((externalId) => ({
              tenant: tenant.tenant_id,
              externalId,
              data: { stage: `v${round}` },
            })),
          );
          await pause(20);
        }
      })();
      const seen = await listAll(tenant, 37);
      writing = false;
      await writer;
      assert.equal(seen.length, 1_000, 'no gaps');
      assert.equal(new Set(seen).size, 1_000, 'no repeats');
    });

    test(`[${transport.name}] a poison event goes to the dead-letter topic and the partition keeps moving`, async () => {
      const key = `${tenantA.tenant_id}/pylon-observer:poison`;
      await bus.publish(TOPICS.projects, [
        { key, value: '{"not": "a canonical event"' },
        { key, value: JSON.stringify({ specversion: '1.0', id: 'nope' }) },
      ]);
      const externalId = unique('after-poison');
      await bus.publish(TOPICS.projects, [
        { ...asMessage(canonicalEvent({ tenant: tenantA.tenant_id, externalId })), key },
      ]);
      await untilVersion(tenantA, `/v1/projects/pylon-observer:${externalId}`, 1);
      await deadLetters.waitForCount(2);
      const letters = deadLetters.messages.map(parse);
      assert.match(String(letters[0]!['error']), /not JSON/);
      assert.match(String(letters[1]!['error']), /not a canonical event/);
      assert.equal(letters[1]!['topic'], TOPICS.projects);
    });

    test(
      `[${transport.name}] runs two consumers (PROJECTOR_CONSUMERS=2) on threads of their own, splitting the partitions`,
      // The librdkafka mock cluster cannot describe groups; a real broker can.
      {
        skip:
          transport.name === 'kafka' &&
          !testSetting('KAFKA_BROKERS') &&
          'the Kafka mock cluster does not answer DescribeGroups',
      },
      async () => {
        const members = transport.name === 'kafka' ? kafkaGroupMembers : postgresLogGroupMembers;
        let seen: number[] = [];
        await eventually(async () => {
          seen = await members(fixture.env, TEST_GROUP_IDS.projector);
          return seen.length === 2 && seen.every((partitions) => partitions > 0);
        }, 60_000).catch(() => assert.fail(`partitions per consumer: ${JSON.stringify(seen)}`));
        // The 3 canonical topics, each split evenly between the two.
        assert.ok(Math.abs(seen[0]! - seen[1]!) <= 3, `an even split: ${JSON.stringify(seen)}`);
      },
    );

    test(`[${transport.name}] serves an OpenAPI document of the query API with its filters`, async () => {
      const document = (await (await fetch(`${base}/openapi.json`)).json()) as {
        paths: Record<string, { get?: { parameters?: Array<{ name: string }> } }>;
      };
      for (const path of [
        '/v1/projects',
        '/v1/projects/{id}',
        '/v1/projects/{id}/history',
        '/v1/customers',
        '/v1/monitors',
        '/v1/fields',
        '/v1/changes',
      ]) {
        assert.ok(document.paths[path]?.get, `${path} is documented`);
      }
      const filters = document.paths['/v1/projects']!.get!.parameters!.map((p) => p.name).sort();
      assert.deepEqual(filters, ['cursor', 'limit', 'provider', 'q', 'source', 'stage', 'updated_since']);
    });

    test(`[${transport.name}] a rebuild from the topics yields byte-identical documents and history`, async () => {
      const snapshot = async () => {
        const tables: Record<string, unknown> = {};
        for (const table of ['projects', 'customers', 'monitors']) {
          tables[table] = await fixture.dataSource.query(
            `SELECT tenant_id, id, version, document::text AS document FROM ${table} ORDER BY tenant_id, id`,
          );
        }
        tables['history'] = await fixture.dataSource.query(
          `SELECT tenant_id, entity_id, version, event_id, changed_paths, document::text AS document,
                  patch_set::text AS patch_set, patch_unset
             FROM entity_history ORDER BY tenant_id, entity_type, entity_id, version`,
        );
        return tables;
      };
      // The live projector first finishes what earlier tests published.
      let applied = -1;
      await eventually(async () => {
        const [row] = (await fixture.dataSource.query(
          'SELECT count(*)::int AS n FROM applied_events',
        )) as Array<{ n: number }>;
        const settled = row!.n === applied;
        applied = row!.n;
        if (!settled) await pause(1_000);
        return settled;
      }, 120_000);
      const live = await snapshot();
      assert.ok((live['projects'] as unknown[]).length > 1_000, 'the earlier tests left a real read model');
      const cli = runProcess('dist/tools/cli.js', { ...fixture.env, LOG_LEVEL: 'error' }, [
        'projector:rebuild',
      ]);
      const line = await cli.waitForLine(/^\{"events"/, 120_000);
      assert.equal(await cli.exited, 0);
      assert.ok((JSON.parse(line) as { applied: number }).applied > 1_000);
      assert.deepEqual(await snapshot(), live);
    });

    test(`[${transport.name}] a rebuild skips events of tenants this database does not know, counts them and warns once per tenant`, async () => {
      const [strangerX, strangerY] = [randomUUID(), randomUUID()];
      const externalId = unique('known-beside-strangers');
      const events = [
        ...['x1', 'x2', 'x3'].map((id) => canonicalEvent({ tenant: strangerX, externalId: id })),
        ...['y1', 'y2'].map((id) => canonicalEvent({ tenant: strangerY, externalId: id })),
        canonicalEvent({ tenant: tenantA.tenant_id, externalId }),
      ];
      await bus.publish(TOPICS.projects, events.map(asMessage));
      // The live projector has read them all: the rebuild's read reaches past them.
      await eventually(async () => {
        const [row] = (await fixture.dataSource.query(
          'SELECT count(*)::int AS n FROM applied_events WHERE event_id = ANY($1)',
          [events.map((event) => event['id'])],
        )) as Array<{ n: number }>;
        return row!.n === events.length;
      }, 60_000);

      const cli = runProcess('dist/tools/cli.js', { ...fixture.env, LOG_LEVEL: 'error' }, [
        'projector:rebuild',
      ]);
      const line = await cli.waitForLine(/^\{"events"/, 120_000);
      assert.equal(await cli.exited, 0);
      const result = JSON.parse(line) as { skipped_unknown_tenants: Record<string, number> };
      assert.deepEqual(result.skipped_unknown_tenants, { [strangerX]: 3, [strangerY]: 2 });
      for (const stranger of [strangerX, strangerY]) {
        const warnings = cli.output.filter(
          (output) => output.startsWith('cli: ') && output.includes(stranger),
        );
        assert.equal(warnings.length, 1, cli.output.join('\n'));
        assert.match(
          warnings[0]!,
          /^cli: warn Rebuild: skipped \d events of tenant .+: this database has no such tenant$/,
        );
      }
      const rows = (await fixture.dataSource.query(
        'SELECT tenant_id FROM projects WHERE tenant_id = ANY($1::uuid[]) OR id = $2',
        [[strangerX, strangerY], `pylon-observer:${externalId}`],
      )) as Array<{ tenant_id: string }>;
      assert.deepEqual(rows, [{ tenant_id: tenantA.tenant_id }], 'only the known tenant has a read model');
    });

    async function listAll(tenant: Tenant, limit: number): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page = (await (
          await api(tenant, `/v1/projects?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)
        ).json()) as { data: Entity[]; next_cursor: string | null };
        ids.push(...page.data.map((p) => p.id));
        cursor = page.next_cursor;
      } while (cursor);
      return ids;
    }
  });
}

function parse(message: ConsumedMessage): Record<string, unknown> {
  return JSON.parse(message.value.toString()) as Record<string, unknown>;
}

/** Partitions assigned to each member of a group on a Kafka broker, as the broker describes the group. */
async function kafkaGroupMembers(env: Record<string, string>, groupId: string): Promise<number[]> {
  const admin = new Kafka({ brokers: env['KAFKA_BROKERS']!.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return (groups[0]?.members ?? []).map((member) => {
      const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {};
      return Object.values(assignment).reduce((sum, partitions) => sum + partitions.length, 0);
    });
  } finally {
    await admin.disconnect();
  }
}

/** Partitions held by each consumer of a group on the Postgres log: its lease connection's locks, less its member lock. */
async function postgresLogGroupMembers(env: Record<string, string>, groupId: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: env['DATABASE_URL'] });
  await client.connect();
  try {
    const { rows } = await client.query<{ locks: number }>(
      `SELECT count(*)::int AS locks FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        GROUP BY l.pid`,
      [`hub-bus:${groupId}`],
    );
    return rows.map((row) => row.locks - 1);
  } finally {
    await client.end();
  }
}
