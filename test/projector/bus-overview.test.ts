import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EventBus } from '@hub/bus';
import { startApps, type RunningApps } from '../support/app-process.js';
import { asMessage, canonicalEvent } from '../support/canonical-events.js';
import { collect, eventually, unique } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { TEST_GROUP_IDS, TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * GET /v1/bus on each transport: the projector as a process consumes what the test publishes, and
 * the overview's lag of its group goes to 0; the dispatcher's group, run here by the test, too.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const TOPICS = TEST_TOPICS;

interface Overview {
  transport: string;
  topics: Array<{ name: string; partitions: Array<{ partition: number; end_offset: string }> }>;
  groups: Array<{
    group_id: string;
    lag: number;
    topics: Array<{
      topic: string;
      partitions: Array<{ partition: number; committed_offset: string | null; lag: number }>;
    }>;
  }>;
}

for (const transport of cases) {
  describe(`bus overview [${transport.name}]`, { skip: transport.skip ?? false, timeout: 180_000 }, () => {
    let fixture: TransportFixture;
    let apps: RunningApps;
    let bus: EventBus;
    let tenant: Tenant;

    before(async () => {
      fixture = await transport.setup();
      apps = await startApps(['projector'], fixture.env);
      tenant = await createTenant(fixture.env, 'Tenant A');
      bus = await fixture.createBus('bus-overview-test');
    });
    after(async () => {
      await apps?.stop();
      await fixture?.close();
    });

    const overview = async (apiKey = tenant.api_key): Promise<Overview> => {
      const response = await fetch(`${apps.urls.projector}/v1/bus`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as Overview;
    };
    const groupOf = (answer: Overview, groupId: string) => {
      const group = answer.groups.find((g) => g.group_id === groupId);
      assert.ok(group, `group ${groupId} is listed`);
      return group;
    };
    const endOf = (answer: Overview, topic: string) =>
      answer.topics
        .find((t) => t.name === topic)!
        .partitions.reduce((sum, p) => sum + Number(p.end_offset), 0);
    const committedOf = (group: Overview['groups'][number]) =>
      group.topics.flatMap((t) => t.partitions).reduce((sum, p) => sum + Number(p.committed_offset ?? 0), 0);

    test(`[${transport.name}] lists every topic and the apps' groups, without a key a 401`, async () => {
      const answer = await overview();
      assert.equal(answer.transport, transport.name);
      assert.deepEqual(answer.topics.map((t) => t.name).sort(), Object.values(TOPICS).sort());
      assert.ok(answer.topics.every((t) => t.partitions.length > 0));
      assert.deepEqual(answer.groups.map((g) => g.group_id).sort(), [
        TEST_GROUP_IDS.dispatcher,
        TEST_GROUP_IDS.projector,
        `${TEST_GROUP_IDS.projector}.slow`,
      ]);
      assert.deepEqual(
        groupOf(answer, TEST_GROUP_IDS.dispatcher).topics.map((t) => t.topic),
        [TOPICS.stateChanges],
      );
      const refused = await fetch(`${apps.urls.projector}/v1/bus`);
      assert.equal(refused.status, 401);
    });

    test(`[${transport.name}] after publishing, each group's lag goes to 0 once it has consumed`, async () => {
      const events = Array.from({ length: 12 }, (_, i) =>
        canonicalEvent({
          tenant: tenant.tenant_id,
          externalId: unique(`proj-${i}`),
          data: { stage: 'Lead' },
        }),
      );
      await bus.publish(TOPICS.projects, events.map(asMessage));

      // The projector consumes the canonical topics, and publishes a change for each new project.
      await eventually(async () => {
        const answer = await overview();
        return (
          groupOf(answer, TEST_GROUP_IDS.projector).lag === 0 && endOf(answer, TOPICS.stateChanges) >= 12
        );
      });
      const consumed = await overview();
      const projector = groupOf(consumed, TEST_GROUP_IDS.projector);
      assert.equal(committedOf(projector), endOf(consumed, TOPICS.projects));
      assert.ok(committedOf(projector) >= 12);

      // No dispatcher runs: its group lags by every change, until a consumer of that group reads them.
      const dispatcher = groupOf(consumed, TEST_GROUP_IDS.dispatcher);
      assert.equal(dispatcher.lag, endOf(consumed, TOPICS.stateChanges));
      assert.ok(dispatcher.topics[0]!.partitions.every((p) => p.committed_offset === null));
      const { collector, subscription } = await collect(bus, TEST_GROUP_IDS.dispatcher, [
        TOPICS.stateChanges,
      ]);
      try {
        await collector.waitForCount(dispatcher.lag);
        await eventually(async () => groupOf(await overview(), TEST_GROUP_IDS.dispatcher).lag === 0);
      } finally {
        await subscription.close();
      }
      const drained = groupOf(await overview(), TEST_GROUP_IDS.dispatcher);
      assert.equal(committedOf(drained), endOf(consumed, TOPICS.stateChanges));
    });
  });
}
