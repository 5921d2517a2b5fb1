import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventBus } from '@hub/bus';
import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { asMessage, canonicalEvent, type EventSpec } from '../support/canonical-events.js';
import { collect, eventually, unique, type Collector } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * The unified records' API over HTTP against a real projector on a real Postgres: records of one
 * person from two providers read as one, the tenant's linking rules changed and the records
 * regrouped (and published), manual links and unlinks that the rules never undo, and who may do
 * what (read keys, other tenants). On each transport: a command publishes its state changes in
 * its transaction on the Postgres log, just before it commits on Kafka.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);

interface Member {
  record: string;
  provider: string;
  linked_by: string;
  reason: Record<string, unknown> | null;
}
interface Unified {
  id: string;
  version: number;
  members: Member[];
  document: Record<string, unknown>;
  provenance: Record<string, { record: string; provider: string; version: number; time: string | null }>;
  conflicts: Array<Record<string, unknown>>;
  created_at: string;
  updated_at: string;
}
interface Rules {
  customer: { email: boolean; plus_addressing: boolean; phone: string; default_country: string };
  project: { references: Array<Record<string, string>>; via_customer: boolean };
  conflicts: { default: string; rank: Record<string, string[]> };
}
interface Problem {
  status: number;
  detail: string;
}

for (const transport of cases) {
  describe(
    `unified records API [${transport.name}]`,
    { skip: transport.skip ?? false, timeout: 300_000 },
    () => {
      let fixture: TransportFixture;
      let app: AppProcess;
      let base: string;
      let bus: EventBus;
      let changes: Collector;
      let tenantA: Tenant;
      let tenantB: Tenant;
      let readKey: string;
      const run = unique('u').replace('-', '');
      const email = `ada.${run}@example.com`;
      const os = `opensolar:os-${run}`;
      const sp = `solarproof:sp-${run}`;

      const call = (key: string, method: string, path: string, body?: unknown) =>
        fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${key}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const ok = async <T>(key: string, method: string, path: string, body?: unknown): Promise<T> => {
        const response = await call(key, method, path, body);
        assert.equal(response.status, 200, `${method} ${path}: ${await response.clone().text()}`);
        return (await response.json()) as T;
      };
      const problem = async (
        key: string,
        method: string,
        path: string,
        status: number,
        body?: unknown,
      ): Promise<Problem> => {
        const response = await call(key, method, path, body);
        assert.equal(response.status, status, `${method} ${path}: ${await response.clone().text()}`);
        assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
        return (await response.json()) as Problem;
      };
      const customer = (id: string) => ok<Unified>(tenantA.api_key, 'GET', `/v1/unified/customers/${id}`);
      const membersOf = (unified: Unified) => unified.members.map((m) => m.record).sort();
      const publishCustomer = (spec: Omit<EventSpec, 'tenant'> & { tenant?: string }) =>
        bus.publish(TEST_TOPICS.customers, [
          asMessage(canonicalEvent({ tenant: tenantA.tenant_id, type: 'customer.upserted', ...spec })),
        ]);
      /** Waits until the projector has applied a record's version (and so unified it, same transaction). */
      const applied = (path: string, version: number) =>
        eventually(async () => {
          const response = await call(tenantA.api_key, 'GET', path);
          return (
            response.status === 200 && ((await response.json()) as { version: number }).version === version
          );
        });
      const grouped = (id: string, members: string[]) =>
        eventually(async () => {
          const response = await call(tenantA.api_key, 'GET', `/v1/unified/customers/${id}`);
          if (response.status !== 200) return false;
          return (
            JSON.stringify(membersOf((await response.json()) as Unified)) === JSON.stringify(members.sort())
          );
        });
      const putRules = (rules: unknown) =>
        ok<{ rules: Rules; updated_at: string; regrouped: number }>(
          tenantA.api_key,
          'PUT',
          '/v1/unified/rules',
          rules,
        );

      before(async () => {
        fixture = await transport.setup();
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
        const created = await call(tenantA.api_key, 'POST', '/v1/api-keys', { name: 'CRM', scope: 'read' });
        assert.equal(created.status, 201, await created.clone().text());
        readKey = ((await created.json()) as { api_key: string }).api_key;
        bus = await fixture.createBus('unified-api-test');
        changes = (await collect(bus, unique('changes'), [TEST_TOPICS.stateChanges])).collector;

        await publishCustomer({
          provider: 'opensolar',
          externalId: `os-${run}`,
          data: {
            first_name: 'Ada',
            last_name: 'Lovelace',
            email: ` Ada.${run}@Example.COM `,
            phone: '(415) 555-0100',
          },
          providerUpdatedAt: '2026-11-22T10:00:00.000Z',
        });
        await applied(`/v1/customers/${os}`, 1);
        await publishCustomer({
          provider: 'solarproof',
          externalId: `sp-${run}`,
          data: { first_name: 'Ada', last_name: 'Lovelace', email, status: 'New Contacts' },
          providerUpdatedAt: '2026-11-22T11:00:00.000Z',
        });
        await applied(`/v1/customers/${sp}`, 1);
      });
      after(async () => {
        await app?.stop('SIGTERM');
        await fixture?.close();
      });

      test('records of one person from two providers are one unified record, read by any of its ids', async () => {
        const byOpenSolar = await customer(os);
        assert.match(byOpenSolar.id, /^unified:cus_[0-9a-f]{20}$/);
        assert.deepEqual(membersOf(byOpenSolar), [os, sp].sort());
        for (const member of byOpenSolar.members) {
          assert.equal(member.provider, member.record.split(':')[0]);
          assert.ok(['rule', 'self'].includes(member.linked_by), member.linked_by);
        }
        assert.deepEqual(await customer(sp), byOpenSolar, 'the same record by the other member');
        assert.deepEqual(await customer(byOpenSolar.id), byOpenSolar, 'and by its own id');

        assert.equal(byOpenSolar.document['status'], 'New Contacts', 'a field only Solar Proof has');
        assert.equal(byOpenSolar.provenance['status']?.record, sp);
        assert.equal(byOpenSolar.provenance['status']?.provider, 'solarproof');
        assert.equal(byOpenSolar.provenance['phone']?.record, os);
        assert.equal(typeof byOpenSolar.provenance['status']?.version, 'number');
        assert.ok(Array.isArray(byOpenSolar.conflicts));

        const listed = await ok<{ data: Unified[]; next_cursor: string | null }>(
          tenantA.api_key,
          'GET',
          `/v1/unified/customers?email=${encodeURIComponent(email.toUpperCase())}`,
        );
        assert.deepEqual(
          listed.data.map((u) => u.id),
          [byOpenSolar.id],
        );
        assert.deepEqual(listed.data[0], byOpenSolar, 'the list item is the record');
        const searched = await ok<{ data: Unified[] }>(
          tenantA.api_key,
          'GET',
          `/v1/unified/customers?q=sp-${run}`,
        );
        assert.deepEqual(
          searched.data.map((u) => u.id),
          [byOpenSolar.id],
        );
        const bySolarProof = await ok<{ data: Unified[] }>(
          tenantA.api_key,
          'GET',
          `/v1/unified/customers?provider=solarproof&q=${run}`,
        );
        assert.deepEqual(
          bySolarProof.data.map((u) => u.id),
          [byOpenSolar.id],
        );

        assert.match(
          (await problem(tenantA.api_key, 'GET', '/v1/unified/customers/opensolar:nobody', 404)).detail,
          /opensolar:nobody/,
        );
        await problem(tenantA.api_key, 'GET', `/v1/unified/projects/${os}`, 404);
        await problem(tenantA.api_key, 'GET', '/v1/unified/customers?provider=nobody', 400);
        await problem(tenantA.api_key, 'GET', '/v1/unified/customers?cursor=WyJ4Il0', 400);
      });

      test('the list is by id, as every list, and pages by cursor', async () => {
        for (const n of [1, 2, 3])
          await publishCustomer({
            provider: 'opensolar',
            externalId: `page-${n}-${run}`,
            data: { first_name: `Page${n}`, email: `page${n}.${run}@example.com` },
          });
        // Each on its own key (partition): all three applied, and so unified, in any order.
        for (const n of [1, 2, 3]) await applied(`/v1/customers/opensolar:page-${n}-${run}`, 1);
        const all = await ok<{ data: Unified[] }>(
          tenantA.api_key,
          'GET',
          `/v1/unified/customers?q=page&limit=100`,
        );
        assert.equal(all.data.length, 3);
        const ids = all.data.map((u) => u.id);
        assert.deepEqual(ids, [...ids].sort(), 'by id');
        const first = await ok<{ data: Unified[]; next_cursor: string }>(
          tenantA.api_key,
          'GET',
          '/v1/unified/customers?q=page&limit=2',
        );
        assert.equal(first.data.length, 2);
        const rest = await ok<{ data: Unified[]; next_cursor: string | null }>(
          tenantA.api_key,
          'GET',
          `/v1/unified/customers?q=page&limit=2&cursor=${first.next_cursor}`,
        );
        assert.equal(rest.next_cursor, null);
        assert.deepEqual(
          [...first.data, ...rest.data].map((u) => u.id),
          all.data.map((u) => u.id),
        );
        assert.deepEqual(JSON.parse(Buffer.from(first.next_cursor, 'base64url').toString()), [
          first.data[1]!.id,
        ]);
      });

      test('a crafted cursor is a 400 problem on every list, never a 500', async () => {
        const crafted = '2026-13-40T25:61:61.000000Z';
        const cursor = (...key: string[]) => Buffer.from(JSON.stringify(key)).toString('base64url');
        for (const path of [
          `/v1/unified/customers?cursor=${cursor(crafted, 'unified:cus_00000000000000000000')}`,
          `/v1/unified/customers?cursor=${cursor(crafted)}`,
          `/v1/unified/projects?cursor=${cursor('unified:cus_0000000000000000000x')}`,
          `/v1/customers/${os}/activity?cursor=${cursor(crafted, 'evt_1')}`,
          `/v1/changes?cursor=${cursor(crafted, 'customer', os, '1')}`,
        ])
          assert.match((await problem(tenantA.api_key, 'GET', path, 400)).detail, /cursor/);
      });

      test('rules: the defaults, a bad field named, and changing them regroups and publishes', async () => {
        const current = await ok<{ rules: Rules; updated_at: string | null }>(
          tenantA.api_key,
          'GET',
          '/v1/unified/rules',
        );
        assert.equal(current.updated_at, null, 'never set: the defaults');
        assert.deepEqual(current.rules.customer, {
          email: true,
          plus_addressing: false,
          phone: 'unless_emails_differ',
          default_country: 'US',
        });
        assert.equal(current.rules.conflicts.default, 'latest');

        const bad = await problem(tenantA.api_key, 'PUT', '/v1/unified/rules', 400, {
          ...current.rules,
          customer: { ...current.rules.customer, phone: 'sometimes' },
        });
        assert.match(bad.detail, /customer\.phone/);
        assert.match(
          (await problem(tenantA.api_key, 'PUT', '/v1/unified/rules', 400, { ...current.rules, extra: 1 }))
            .detail,
          /extra/,
        );
        assert.equal(
          (await ok<{ updated_at: string | null }>(tenantA.api_key, 'GET', '/v1/unified/rules')).updated_at,
          null,
        );

        const joined = await customer(os);
        const seen = changes.messages.length;
        const split = await putRules({
          ...current.rules,
          customer: { ...current.rules.customer, email: false },
        });
        assert.equal(split.rules.customer.email, false);
        assert.ok(split.updated_at);
        assert.ok(split.regrouped >= 2, `regrouped ${split.regrouped}`);
        const [alone, other] = [await customer(os), await customer(sp)];
        assert.deepEqual(membersOf(alone), [os]);
        assert.deepEqual(membersOf(other), [sp]);
        assert.notEqual(alone.id, other.id);
        assert.deepEqual(
          (await ok<{ rules: Rules }>(tenantA.api_key, 'GET', '/v1/unified/rules')).rules,
          split.rules,
        );
        // Published with the change: the regrouping's state changes are on the topic.
        await changes.waitFor((messages) =>
          messages.slice(seen).some((m) => {
            const change = JSON.parse(m.value.toString()) as { type: string; tenant: string };
            return change.tenant === tenantA.tenant_id && change.type.startsWith('unified_customer.');
          }),
        );
        assert.ok(
          changes.messages
            .slice(seen)
            .every(
              (m) => (JSON.parse(m.value.toString()) as { tenant: string }).tenant === tenantA.tenant_id,
            ),
        );

        const back = await putRules(current.rules);
        assert.ok(back.regrouped >= 2, `regrouped ${back.regrouped}`);
        const again = await customer(sp);
        assert.deepEqual(membersOf(again), [os, sp].sort());
        assert.deepEqual(again.document['email'], joined.document['email']);
      });

      test('a manual unlink splits the group, and a matching change later does not join it again', async () => {
        const group = await customer(os);
        const left = await ok<{ data: Unified[]; regrouped: number }>(
          tenantA.api_key,
          'DELETE',
          `/v1/unified/customers/${group.id}/links/${sp}`,
        );
        assert.equal(left.data.length, 2, 'the group it left, and its own');
        const ownGroup = left.data.find((u) => u.members.some((m) => m.record === sp))!;
        assert.deepEqual(membersOf(ownGroup), [sp]);
        assert.deepEqual(membersOf(left.data.find((u) => u !== ownGroup)!), [os]);
        assert.ok(left.regrouped >= 2);
        await problem(tenantA.api_key, 'DELETE', `/v1/unified/customers/${os}/links/${sp}`, 409);
        // Published with it: the record left alone, by hand.
        await changes.waitFor((messages) =>
          messages.some((m) => {
            const change = JSON.parse(m.value.toString()) as {
              type: string;
              subject: string;
              data: Record<string, unknown>;
            };
            return (
              change.type === 'customer.unlinked' &&
              change.subject === sp &&
              change.data['linked_by'] === 'manual'
            );
          }),
        );

        await publishCustomer({
          provider: 'solarproof',
          externalId: `sp-${run}`,
          data: {
            first_name: 'Ada',
            last_name: 'Lovelace',
            email,
            phone: '+1 415 555 0100',
            status: 'Qualified',
          },
          providerUpdatedAt: '2026-11-22T12:00:00.000Z',
        });
        await applied(`/v1/customers/${sp}`, 2);
        assert.deepEqual(membersOf(await customer(sp)), [sp], 'still apart after a matching change');
        assert.equal((await customer(sp)).document['status'], 'Qualified');
        assert.deepEqual(membersOf(await customer(os)), [os]);
        // A rules change re-evaluates everything; the decision still holds.
        const rules = (await ok<{ rules: Rules }>(tenantA.api_key, 'GET', '/v1/unified/rules')).rules;
        await putRules({ ...rules, customer: { ...rules.customer, phone: 'always' } });
        assert.deepEqual(membersOf(await customer(sp)), [sp], 'still apart after a rules change');

        // Linked back by hand, it joins again.
        const linked = await ok<{ data: Unified[] }>(
          tenantA.api_key,
          'POST',
          `/v1/unified/customers/${os}/links`,
          {
            record: sp,
          },
        );
        assert.deepEqual(membersOf(linked.data[0]!), [os, sp].sort());
        assert.equal(linked.data[0]!.members.find((m) => m.record === sp)?.linked_by, 'manual');
      });

      test('a manual link joins two records the rules would not', async () => {
        const bob = `opensolar:bob-${run}`;
        const robert = `solarproof:robert-${run}`;
        await publishCustomer({
          provider: 'opensolar',
          externalId: `bob-${run}`,
          data: { first_name: 'Bob', email: `bob.${run}@example.com` },
        });
        await publishCustomer({
          provider: 'solarproof',
          externalId: `robert-${run}`,
          data: { first_name: 'Robert', email: `robert.${run}@example.org` },
        });
        await grouped(bob, [bob]);
        await grouped(robert, [robert]);

        const linked = await ok<{ data: Unified[]; regrouped: number }>(
          tenantA.api_key,
          'POST',
          `/v1/unified/customers/${(await customer(bob)).id}/links`,
          { record: robert },
        );
        assert.equal(linked.data.length, 1);
        assert.deepEqual(membersOf(linked.data[0]!), [bob, robert].sort());
        assert.equal(linked.data[0]!.members.find((m) => m.record === robert)?.linked_by, 'manual');
        assert.ok(linked.regrouped >= 2);
        assert.equal((await customer(robert)).id, linked.data[0]!.id);

        // Nonsense: unknown records and groups, a record of the other kind, a bad record id.
        await bus.publish(TEST_TOPICS.projects, [
          asMessage(
            canonicalEvent({ tenant: tenantA.tenant_id, provider: 'opensolar', externalId: `prj-${run}` }),
          ),
        ]);
        await applied(`/v1/projects/opensolar:prj-${run}`, 1);
        assert.match(
          (
            await problem(tenantA.api_key, 'POST', `/v1/unified/customers/${bob}/links`, 409, {
              record: `opensolar:prj-${run}`,
            })
          ).detail,
          /project/,
        );
        await problem(tenantA.api_key, 'POST', `/v1/unified/customers/${bob}/links`, 404, {
          record: 'opensolar:nobody',
        });
        await problem(tenantA.api_key, 'POST', '/v1/unified/customers/opensolar:nobody/links', 404, {
          record: robert,
        });
        await problem(tenantA.api_key, 'POST', `/v1/unified/customers/${bob}/links`, 400, {
          record: 'no colon',
        });
        await problem(tenantA.api_key, 'POST', `/v1/unified/customers/${bob}/links`, 400, {});
        await problem(tenantA.api_key, 'DELETE', `/v1/unified/customers/${bob}/links/opensolar:nobody`, 404);
      });

      test('an unlink leaves behind a record linked to it by hand; a link names the member the path names', async () => {
        const ann = `opensolar:ann-${run}`;
        const anna = `solarproof:ann-${run}`;
        const rex = `solarproof:rex-${run}`;
        for (const [provider, externalId, mail] of [
          ['opensolar', `ann-${run}`, `ann.${run}@example.com`],
          ['solarproof', `ann-${run}`, `ann.${run}@example.com`],
          ['solarproof', `rex-${run}`, `rex.${run}@example.org`],
        ] as const)
          await publishCustomer({ provider, externalId, data: { first_name: 'Ann', email: mail } });
        await grouped(ann, [ann, anna]);
        await grouped(rex, [rex]);

        // By a member's id: linked to that member, not to the group's first.
        const linked = await ok<{ data: Unified[] }>(
          tenantA.api_key,
          'POST',
          `/v1/unified/customers/${anna}/links`,
          { record: rex },
        );
        assert.deepEqual(membersOf(linked.data[0]!), [ann, anna, rex].sort());
        const rexLink = linked.data[0]!.members.find((m) => m.record === rex)!;
        assert.equal(rexLink.linked_by, 'manual');
        assert.deepEqual(rexLink.reason?.['linked_to'], [anna]);

        // The record rex was linked to leaves: alone, and rex stays with the one remaining.
        const left = await ok<{ data: Unified[] }>(
          tenantA.api_key,
          'DELETE',
          `/v1/unified/customers/${linked.data[0]!.id}/links/${anna}`,
        );
        assert.deepEqual(left.data.map(membersOf).sort(), [[anna], [ann, rex].sort()].sort());
        assert.deepEqual(membersOf(await customer(anna)), [anna]);
        assert.deepEqual(membersOf(await customer(rex)), [ann, rex].sort());
        assert.deepEqual((await customer(rex)).members.find((m) => m.record === rex)?.reason?.['linked_to'], [
          ann,
        ]);

        // A :record that is no record id: a 400 problem before anything is looked up.
        assert.match(
          (await problem(tenantA.api_key, 'DELETE', `/v1/unified/customers/${ann}/links/no-colon`, 400))
            .detail,
          /record must be a record id/,
        );
      });

      test('projects link by the reference rule', async () => {
        const reference = `REF-${run}`;
        await bus.publish(TEST_TOPICS.projects, [
          asMessage(
            canonicalEvent({
              tenant: tenantA.tenant_id,
              provider: 'pylon-observer',
              externalId: `p-${run}`,
              data: { reference_number: reference, stage: 'Design' },
            }),
          ),
          asMessage(
            canonicalEvent({
              tenant: tenantA.tenant_id,
              provider: 'opensolar',
              externalId: `o-${run}`,
              data: { reference_number: reference, stage: 'Sold' },
            }),
          ),
        ]);
        await eventually(async () => {
          const response = await call(tenantA.api_key, 'GET', `/v1/unified/projects/opensolar:o-${run}`);
          return response.status === 200 && ((await response.json()) as Unified).members.length === 2;
        });
        const project = await ok<Unified>(
          tenantA.api_key,
          'GET',
          `/v1/unified/projects/pylon-observer:p-${run}`,
        );
        assert.match(project.id, /^unified:prj_[0-9a-f]{20}$/);
        const listed = await ok<{ data: Unified[] }>(
          tenantA.api_key,
          'GET',
          `/v1/unified/projects?q=${reference}`,
        );
        assert.deepEqual(
          listed.data.map((u) => u.id),
          [project.id],
        );

        // The same link routes as customers; a customer's id is no project. The unified id is keyed on
        // the smallest member, so after the split it names the OpenSolar project's own record.
        const split = await ok<{ data: Unified[] }>(
          tenantA.api_key,
          'DELETE',
          `/v1/unified/projects/${project.id}/links/opensolar:o-${run}`,
        );
        assert.deepEqual(split.data.map(membersOf), [[`pylon-observer:p-${run}`], [`opensolar:o-${run}`]]);
        assert.match(
          (
            await problem(tenantA.api_key, 'POST', `/v1/unified/projects/${project.id}/links`, 409, {
              record: os,
            })
          ).detail,
          /customer/,
        );
        const rejoined = await ok<{ data: Unified[] }>(
          tenantA.api_key,
          'POST',
          `/v1/unified/projects/pylon-observer:p-${run}/links`,
          {
            record: `opensolar:o-${run}`,
          },
        );
        assert.deepEqual(membersOf(rejoined.data[0]!), [`opensolar:o-${run}`, `pylon-observer:p-${run}`]);
      });

      test('a read key may only read; another tenant sees none of it', async () => {
        const group = await customer(os);
        assert.equal((await call(readKey, 'GET', `/v1/unified/customers/${group.id}`)).status, 200);
        assert.equal((await call(readKey, 'GET', '/v1/unified/rules')).status, 200);
        const rules = (await ok<{ rules: Rules }>(readKey, 'GET', '/v1/unified/rules')).rules;
        await problem(readKey, 'PUT', '/v1/unified/rules', 403, rules);
        await problem(readKey, 'POST', `/v1/unified/customers/${group.id}/links`, 403, { record: sp });
        await problem(readKey, 'DELETE', `/v1/unified/customers/${group.id}/links/${sp}`, 403);

        for (const id of [group.id, os, sp])
          await problem(tenantB.api_key, 'GET', `/v1/unified/customers/${id}`, 404);
        await problem(tenantB.api_key, 'POST', `/v1/unified/customers/${group.id}/links`, 404, {
          record: sp,
        });
        await problem(tenantB.api_key, 'DELETE', `/v1/unified/customers/${group.id}/links/${sp}`, 404);
        const theirs = await ok<{ data: Unified[] }>(
          tenantB.api_key,
          'GET',
          `/v1/unified/customers?q=${run}`,
        );
        assert.deepEqual(theirs.data, []);
        const theirRules = await ok<{ updated_at: string | null }>(
          tenantB.api_key,
          'GET',
          '/v1/unified/rules',
        );
        assert.equal(theirRules.updated_at, null, "another tenant's rules are its own");
        assert.equal((await fetch(`${base}/v1/unified/customers`)).status, 401);
      });

      test('with UNIFIED_RECORDS=off, rules and links are a 409 and nothing is saved; reads stay', async () => {
        await app.stop('SIGTERM');
        app = runProcess('dist/apps/projector/src/main.js', {
          ...fixture.env,
          PROJECTOR_PORT: new URL(base).port,
          LOG_LEVEL: 'warn',
          UNIFIED_RECORDS: 'off',
        });
        await waitForHealthy(base, 60_000);
        const before = await ok<{ rules: Rules; updated_at: string | null }>(
          tenantA.api_key,
          'GET',
          '/v1/unified/rules',
        );
        const group = await customer(os);
        const off = /unified records are off in this projector \(UNIFIED_RECORDS=off\)/;
        assert.match(
          (await problem(tenantA.api_key, 'PUT', '/v1/unified/rules', 409, before.rules)).detail,
          off,
        );
        assert.match(
          (
            await problem(tenantA.api_key, 'POST', `/v1/unified/customers/${group.id}/links`, 409, {
              record: sp,
            })
          ).detail,
          off,
        );
        assert.match(
          (await problem(tenantA.api_key, 'DELETE', `/v1/unified/customers/${group.id}/links/${sp}`, 409))
            .detail,
          off,
        );
        assert.deepEqual(
          await ok(tenantA.api_key, 'GET', '/v1/unified/rules'),
          before,
          'the rules as they were',
        );
        assert.deepEqual(await customer(os), group, 'the groups as they were');
      });
    },
  );
}
