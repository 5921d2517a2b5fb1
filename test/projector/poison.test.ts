import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventBus } from '@hub/bus';
import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { asMessage, canonicalEvent } from '../support/canonical-events.js';
import { collect, eventually, pause, unique, type Collector } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * One tenant's poison must never stop another's projection. Poison here is a valid canonical
 * event that Postgres refuses to store (a lone surrogate in a string: `invalid input syntax for
 * type json`), several of them in one partition, a whole batch of them in another, interleaved
 * with a second tenant's monitor events on every partition, and the projector killed and
 * restarted in the middle.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const TOPICS = TEST_TOPICS;

for (const transport of cases) {
  describe(
    `projector poison [${transport.name}]`,
    { skip: transport.skip ?? false, timeout: 300_000 },
    () => {
      let fixture: TransportFixture;
      let app: AppProcess;
      let base: string;
      let bus: EventBus;
      let deadLetters: Collector;
      let tenantA: Tenant;
      let tenantB: Tenant;

      const startProjector = async () => {
        const port = await freePort();
        base = `http://127.0.0.1:${port}`;
        // Small batches, so that one batch holds nothing but poison.
        app = runProcess('dist/apps/projector/src/main.js', {
          ...fixture.env,
          PROJECTOR_PORT: String(port),
          PROJECTOR_BATCH_SIZE: '10',
          LOG_LEVEL: 'warn',
        });
        await waitForHealthy(base, 60_000);
      };

      before(async () => {
        fixture = await transport.setup();
        await startProjector();
        tenantA = await createTenant(fixture.env, 'Poisoner');
        tenantB = await createTenant(fixture.env, 'Bystander');
        bus = await fixture.createBus('poison-test');
        deadLetters = (await collect(bus, unique('dead'), [TOPICS.deadLetters])).collector;
      });
      after(async () => {
        await app?.stop('SIGKILL');
        await fixture?.close();
      });

      const monitorEvent = (
        tenant: string,
        externalId: string,
        data: Record<string, unknown>,
        delivery = '',
      ) =>
        canonicalEvent({
          tenant,
          provider: 'observer',
          type: 'monitoring.agent.offline',
          externalId,
          data: { monitor_kind: 'agent', ...data },
          delivery,
        });
      /** `count` poison events about one monitor (one key, so one partition), in order. */
      const poisonRun = (monitor: string, count: number, delivery = '') =>
        Array.from({ length: count }, (_, i) =>
          monitorEvent(tenantA.tenant_id, monitor, { name: 'x\ud800' }, `${delivery}${i}`),
        );
      const bystanders = (round: string, count: number) =>
        Array.from({ length: count }, (_, i) =>
          monitorEvent(tenantB.tenant_id, `${round}-${i}`, { name: `monitor ${i}` }),
        );
      const projected = async (tenant: Tenant, id: string) =>
        (
          await fetch(`${base}/v1/monitors/${encodeURIComponent(id)}`, {
            headers: { authorization: `Bearer ${tenant.api_key}` },
          })
        ).status === 200;
      const allProjected = async (events: Array<Record<string, unknown>>) => {
        for (const event of events) if (!(await projected(tenantB, String(event['subject'])))) return false;
        return true;
      };
      const lettersFor = (events: Array<Record<string, unknown>>) => {
        const ids = new Set(events.map((event) => String(event['id'])));
        return deadLetters.messages
          .map((message) => JSON.parse(message.value.toString()) as { value: string; error: string })
          .filter((letter) => ids.has(String((JSON.parse(letter.value) as { id: string }).id)));
      };

      test(`[${transport.name}] every poison event is dead-lettered once and every other tenant's event is projected, across a restart`, async () => {
        const round = unique('r1');
        const poison = [
          ...poisonRun(`${round}-two`, 2),
          ...poisonRun(`${round}-three`, 3),
          // More than a batch of nothing but poison.
          ...poisonRun(`${round}-batch`, 25),
        ];
        const good = bystanders(round, 40);
        // Poison first, so every bystander behind it in its partition has to wait for it.
        await bus.publish(TOPICS.monitoring, poison.map(asMessage));
        await bus.publish(TOPICS.monitoring, good.map(asMessage));
        await eventually(() => allProjected(good), 90_000).catch(() =>
          assert.fail('a bystander tenant was held back by poison'),
        );
        await deadLetters.waitFor(() => lettersFor(poison).length >= poison.length, 60_000);
        for (const letter of lettersFor(poison))
          assert.match(letter.error, /invalid input syntax for type json/);

        // Killed with the verdicts committed; more of both after the restart.
        await app.stop('SIGKILL');
        const round2 = unique('r2');
        const poison2 = [...poisonRun(`${round}-two`, 2, 'again'), ...poisonRun(`${round2}-more`, 12)];
        const good2 = bystanders(round2, 40);
        await bus.publish(TOPICS.monitoring, [...poison2, ...good2].map(asMessage));
        await startProjector();
        await eventually(() => allProjected(good2), 90_000).catch(() =>
          assert.fail('after the restart a bystander tenant was held back by poison'),
        );
        await deadLetters.waitFor(() => lettersFor(poison2).length >= poison2.length, 60_000);
        assert.ok(
          !(await projected(tenantA, `observer:${round}-two`)),
          "the poisoner's monitor was never stored",
        );
        if (transport.name === 'postgres-log') {
          // Verdicts commit with the offsets: no event is judged twice, before or after the restart.
          await pause(2_000);
          assert.equal(lettersFor(poison).length, poison.length);
          assert.equal(lettersFor(poison2).length, poison2.length);
        }
      });
    },
  );
}
