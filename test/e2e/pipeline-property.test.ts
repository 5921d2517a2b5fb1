import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import fc from 'fast-check';
import type { EventBus } from '@hub/bus';
import { canonicalTopics } from '@hub/contracts';
import { startApps, type RunningApps } from '../support/app-process.js';
import { collect, eventually, pause, unique, type Collector } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import {
  anyProviderPayload,
  describePayload,
  type GeneratedPayload,
} from '../support/provider-arbitraries.js';
import { PROVIDER_CASES, send, type ProviderRequest } from '../support/provider-requests.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { testSetting } from '../support/test-env.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * The whole pipeline (ingest and the projector as processes) under generated provider payloads,
 * each signed as its provider signs it, on each transport. Tenant A sends payloads of all six
 * providers with ids, names, statuses, nested attributes and extra fields drawn from the whole of
 * Unicode (lone surrogates and U+0000 too), JSON escapes, long strings, numbers beyond 2^53 and
 * deep nesting; meanwhile tenant B sends a plain Pylon batch every 200 ms. Properties: every
 * request is answered 2xx or 4xx, never 5xx; every event id ingest answers is applied by the
 * projector or dead-lettered within 60 s; each event's subject names its entity id exactly as the
 * provider wrote it; every one of B's projects is readable within 30 s of its request.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const TOPICS = TEST_TOPICS;
const SEED = Number(testSetting('FC_SEED') ?? 20_261_122);
const NUM_RUNS = 80;
const APPLIED_WITHIN_MS = 60_000;
const BYSTANDER_WITHIN_MS = 30_000;
const BYSTANDER_EVERY_MS = 200;
console.log(
  `# pipeline property: fast-check seeds ${SEED} and ${SEED + 1} (FC_SEED=<n> replays or varies them)`,
);

/** One request of tenant A and what ingest answered. */
interface Sent {
  payload: GeneratedPayload;
  status: number;
  answer: string;
  eventIds: string[];
}

for (const transport of cases) {
  describe(
    `pipeline property [${transport.name}]`,
    { skip: transport.skip ?? false, timeout: 240_000 },
    () => {
      let fixture: TransportFixture;
      let apps: RunningApps;
      let urls: RunningApps['urls'];
      let bus: EventBus;
      /** The canonical topics (both lanes) and the dead letters, from the start. */
      let seen: Collector;
      let tenantA: Tenant;
      const sourcesA = new Map<string, string>();
      let bystander: Bystander;
      const sent: Sent[] = [];
      let lastSendAt = 0;

      before(async () => {
        fixture = await transport.setup();
        apps = await startApps(['ingest', 'projector'], fixture.env);
        urls = apps.urls;
        tenantA = await createTenant(fixture.env, 'Hostile but signed');
        const tenantB = await createTenant(fixture.env, 'Steady');
        for (const providerCase of PROVIDER_CASES) {
          sourcesA.set(
            providerCase.provider,
            await createSource(tenantA, providerCase.provider, providerCase.secret, providerCase.settings),
          );
        }
        bus = await fixture.createBus('pipeline-property');
        seen = (await collect(bus, unique('property'), [...canonicalTopics(TOPICS), TOPICS.deadLetters]))
          .collector;
        const pylon = PROVIDER_CASES.find((c) => c.provider === 'pylon-observer')!;
        bystander = new Bystander(
          urls,
          tenantB,
          await createSource(tenantB, 'pylon-observer', pylon.secret),
          (body) => pylon.sign(pylon.secret, body),
        );
        bystander.start();
      });
      after(async () => {
        await bystander?.stop();
        await apps?.stop();
        await fixture?.close();
      });

      async function createSource(
        tenant: Tenant,
        provider: string,
        secret: string,
        settings?: Record<string, string>,
      ): Promise<string> {
        const response = await fetch(`${urls.ingest}/v1/sources`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            provider,
            name: unique(provider),
            secret,
            ...(settings ? { settings } : {}),
          }),
        });
        assert.equal(response.status, 201, await response.clone().text());
        return ((await response.json()) as { id: string }).id;
      }

      /** Signs the payload as its provider would and sends it to A's source of that provider. */
      async function deliver(payload: GeneratedPayload): Promise<Sent> {
        const providerCase = PROVIDER_CASES.find((c) => c.provider === payload.provider)!;
        const request = providerCase.sign(providerCase.secret, payload.body);
        lastSendAt = Date.now();
        const response = await send(urls.ingest, sourcesA.get(payload.provider)!, request).catch(
          (error: Error) => error,
        );
        if (response instanceof Error) {
          const dropped = { payload, status: 0, answer: `no answer: ${response.message}`, eventIds: [] };
          sent.push(dropped);
          return dropped;
        }
        const answer = await response.text();
        let eventIds: string[] = [];
        if (response.status >= 200 && response.status < 300 && answer !== 'OK')
          eventIds = ((JSON.parse(answer) as { event_ids?: string[] }).event_ids ?? []).map(String);
        const result = { payload, status: response.status, answer, eventIds };
        sent.push(result);
        lastSendAt = Date.now();
        // A 4xx must say why, as a problem document.
        if (response.status >= 400 && response.status < 500)
          assert.match(
            response.headers.get('content-type') ?? '',
            /^application\/problem\+json/,
            `${response.status} without a problem document: ${answer.slice(0, 300)}`,
          );
        return result;
      }

      /** The property's first part: a 2xx or a 4xx, never a 5xx (nor a dropped connection). */
      const answeredWell = ({ payload, status, answer }: Sent) =>
        assert.ok(
          (status >= 200 && status < 300) || (status >= 400 && status < 500),
          `${status} for ${describePayload(payload)}: ${answer.slice(0, 500)}`,
        );

      test(`[${transport.name}] property: every correctly signed payload of every provider gets a 2xx or a 4xx, never a 5xx`, async () => {
        await fc.assert(
          fc.asyncProperty(anyProviderPayload, async (payload) => answeredWell(await deliver(payload))),
          { seed: SEED, numRuns: NUM_RUNS, interruptAfterTimeLimit: 90_000, markInterruptAsFailure: true },
        );
      });

      let mappedCount = 0;
      let unmappedCount = 0;
      test(`[${transport.name}] property: each accepted event's subject is its entity id exactly as the provider wrote it`, async () => {
        // A seed of its own: the same seed would resend the first property's payloads.
        await fc.assert(
          fc.asyncProperty(anyProviderPayload, async (payload) => {
            const answered = await deliver(payload);
            answeredWell(answered);
            if (answered.status >= 300) return;
            const unmapped = JSON.parse(answered.answer) as { unmapped?: boolean; reason?: string };
            if (unmapped.unmapped) {
              // Kept verbatim instead of mapped (an id that JSON numbers cannot hold exactly, a
              // subject no consumer would take): allowed, with its reason, and counted below.
              assert.ok(unmapped.reason, `unmapped without a reason: ${answered.answer}`);
              unmappedCount += 1;
              return;
            }
            mappedCount += 1;
            assert.equal(answered.eventIds.length, payload.subjects.length, 'one event per entity');
            await seen
              .waitFor(() => answered.eventIds.every((id) => subjectOf(id) !== undefined), 30_000)
              .catch(() =>
                assert.fail(`the events of ${describePayload(payload)} reached no canonical topic`),
              );
            assert.deepEqual(
              answered.eventIds.map(subjectOf),
              payload.subjects,
              `subjects of ${describePayload(payload)}`,
            );
          }),
          {
            seed: SEED + 1,
            numRuns: NUM_RUNS,
            interruptAfterTimeLimit: 90_000,
            markInterruptAsFailure: true,
          },
        );
        assert.ok(
          mappedCount > unmappedCount,
          `most signed payloads map: ${mappedCount} mapped, ${unmappedCount} kept unmapped`,
        );
      });

      test(`[${transport.name}] property: every event id ingest answered is applied by the projector or dead-lettered within ${APPLIED_WITHIN_MS / 1000} s`, async (t) => {
        reportOutcomes(t, sent);
        const accepted = sent.filter((s) => s.eventIds.length > 0);
        const ids = [...new Set(accepted.flatMap((s) => s.eventIds))];
        let open = ids;
        const deadline = lastSendAt + APPLIED_WITHIN_MS;
        while (open.length > 0 && Date.now() < deadline) {
          await pause(250);
          open = await unresolved(open);
        }
        open = await unresolved(open);
        const letters = deadLetters();
        const lettered = ids.filter((id) => letters.has(id));
        t.diagnostic(
          `${ids.length} event ids: ${ids.length - open.length - lettered.length} applied, ${lettered.length} dead-lettered, ${open.length} neither`,
        );
        // Accepted, then dead-lettered: allowed here, but each reason is worth knowing.
        for (const [reason, count] of countBy(lettered.map((id) => shortReason(letters.get(id)!)))) {
          const example = smallest(
            accepted.filter((s) =>
              s.eventIds.some((id) => letters.get(id) && shortReason(letters.get(id)!) === reason),
            ),
          );
          t.diagnostic(`dead-lettered ${count}×: ${reason}; e.g. ${describePayload(example.payload, 300)}`);
        }
        assert.ok(ids.length > lettered.length, 'some events were applied: the property is not vacuous');
        const lost = open.map((id) => {
          const from = accepted.find((s) => s.eventIds.includes(id))!;
          const published = subjectOf(id) !== undefined;
          return {
            from,
            line: `${id} (${published ? 'on a canonical topic' : 'on no canonical topic'}) of ${describePayload(from.payload, 400)}`,
          };
        });
        assertNone(
          lost.sort((a, b) => a.from.payload.body.length - b.from.payload.body.length).map((l) => l.line),
          `accepted events neither applied nor dead-lettered ${APPLIED_WITHIN_MS / 1000} s after the last request (smallest bodies first)`,
        );
      });

      test(`[${transport.name}] property: tenant B's every project is readable within ${BYSTANDER_WITHIN_MS / 1000} s of its request while A sends`, async (t) => {
        await bystander.stop();
        await bystander.settle(BYSTANDER_WITHIN_MS);
        const { sent: bSent } = bystander;
        const latencies = bSent.filter((b) => b.projectedAt).map((b) => b.projectedAt! - b.sentAt);
        t.diagnostic(
          `tenant B: ${bSent.length} requests, latency p50 ${percentile(latencies, 0.5)} ms, p99 ${percentile(latencies, 0.99)} ms, max ${Math.max(0, ...latencies)} ms`,
        );
        assert.ok(bSent.length >= 10, `tenant B kept sending (${bSent.length} requests)`);
        assertNone(
          bSent.filter((b) => b.status !== 200).map((b) => `${b.uid}: ${b.status} ${b.answer.slice(0, 200)}`),
          "of B's requests not accepted",
        );
        assertNone(
          bSent
            .filter(
              (b) => b.status === 200 && (!b.projectedAt || b.projectedAt - b.sentAt > BYSTANDER_WITHIN_MS),
            )
            .map((b) => `${b.uid}: ${b.projectedAt ? `${b.projectedAt - b.sentAt} ms` : 'never'}`),
          `of B's projects not readable within ${BYSTANDER_WITHIN_MS} ms`,
        );
      });

      /** Of these event ids, those neither in applied_events nor on the dead-letter topic. */
      async function unresolved(ids: string[]): Promise<string[]> {
        const rows = (await fixture.dataSource.query(
          'SELECT event_id FROM applied_events WHERE tenant_id = $1 AND event_id = ANY($2::text[])',
          [tenantA.tenant_id, ids],
        )) as Array<{ event_id: string }>;
        const applied = new Set(rows.map((row) => row.event_id));
        const letters = deadLetters();
        return ids.filter((id) => !applied.has(id) && !letters.has(id));
      }

      /** Dead-lettered event ids, each with the projector's reason. */
      function deadLetters(): Map<string, string> {
        const letters = new Map<string, string>();
        for (const message of seen.messages.filter((m) => m.topic === TOPICS.deadLetters)) {
          const letter = JSON.parse(message.value.toString()) as { value: string; error: string };
          const id = eventIdOf(letter.value);
          if (id) letters.set(id, letter.error);
        }
        return letters;
      }

      /** The subject of each canonical event seen so far, by event id. */
      const subjects = new Map<string, string>();
      let indexed = 0;
      function subjectOf(eventId: string): string | undefined {
        for (; indexed < seen.messages.length; indexed++) {
          const message = seen.messages[indexed]!;
          if (message.topic === TOPICS.deadLetters) continue;
          const event = JSON.parse(message.value.toString()) as { id: string; subject: string };
          subjects.set(event.id, event.subject);
        }
        return subjects.get(eventId);
      }
    },
  );
}

/** A canonical event's id, from its JSON text (or, should that not parse, from the text itself). */
function eventIdOf(value: string): string | undefined {
  try {
    const id = (JSON.parse(value) as { id?: unknown }).id;
    if (typeof id === 'string') return id;
  } catch {
    // not JSON: look for the id in the text
  }
  return /"id":"(evt_[0-9a-f]{32})"/.exec(value)?.[1];
}

/** Answers by provider and status, so a run shows what it covered. */
function reportOutcomes(t: TestContext, sent: Sent[]): void {
  for (const [outcome, count] of countBy(
    sent.map(
      (s) => `${s.payload.provider} ${s.status}${s.status >= 400 ? ` ${problemTitle(s.answer)}` : ''}`,
    ),
  ))
    t.diagnostic(`${count}× ${outcome}`);
  const sizes = sent
    .filter((s) => s.status >= 200 && s.status < 300)
    .map((s) => Buffer.byteLength(s.payload.body));
  t.diagnostic(`largest accepted body: ${Math.max(0, ...sizes)} bytes`);
}

function problemTitle(answer: string): string {
  try {
    const detail = String((JSON.parse(answer) as { detail?: unknown }).detail ?? '');
    return detail.replace(/"[^"]*"/g, '"…"').slice(0, 80);
  } catch {
    return answer.slice(0, 80);
  }
}

function shortReason(error: string): string {
  return error.replace(/"[^"]*"/g, '"…"').slice(0, 120);
}

function countBy(items: string[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]);
}

/** Fails listing the first few items (and how many there are), or passes when there are none. */
function assertNone(items: string[], what: string): void {
  const shown = items.slice(0, 8).map((item) => `  ${item}`);
  if (items.length > shown.length) shown.push(`  … and ${items.length - shown.length} more`);
  assert.equal(items.length, 0, `${items.length} ${what}:\n${shown.join('\n')}`);
}

function smallest(sent: Sent[]): Sent {
  return sent.reduce((a, b) => (b.payload.body.length < a.payload.body.length ? b : a));
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/**
 * Tenant B: a valid one-project Pylon batch every 200 ms, each project polled on the projector
 * until it is readable, so each request's time to projection is known.
 */
class Bystander {
  readonly sent: Array<{
    uid: string;
    status: number;
    answer: string;
    sentAt: number;
    projectedAt?: number;
  }> = [];
  private sending = false;
  private sender: Promise<void> = Promise.resolve();
  private polling = false;
  private poller: Promise<void> = Promise.resolve();

  constructor(
    private readonly urls: { ingest: string; projector: string },
    private readonly tenant: Tenant,
    private readonly source: string,
    private readonly sign: (body: string) => ProviderRequest,
  ) {}

  start(): void {
    this.sending = true;
    this.polling = true;
    this.sender = this.sendEvery(BYSTANDER_EVERY_MS);
    this.poller = this.poll();
  }

  async stop(): Promise<void> {
    this.sending = false;
    await this.sender;
  }

  /** Polls until every accepted project is readable or older than `withinMs`, then stops polling. */
  async settle(withinMs: number): Promise<void> {
    await eventually(
      () => this.pending().every((b) => Date.now() - b.sentAt > withinMs),
      withinMs + 5_000,
    ).catch(() => undefined);
    this.polling = false;
    await this.poller;
  }

  private pending() {
    return this.sent.filter((b) => b.status === 200 && !b.projectedAt);
  }

  private async sendEvery(intervalMs: number): Promise<void> {
    for (let n = 0; this.sending; n++) {
      const uid = `steady-${n}`;
      const sentAt = Date.now();
      const body = JSON.stringify({
        team: { uid: 'steady', name: 'Steady' },
        projects: [{ uid, designs: [] }],
      });
      const response = await send(this.urls.ingest, this.source, this.sign(body)).catch(() => null);
      this.sent.push({
        uid,
        status: response?.status ?? 0,
        answer: (await response?.text()) ?? 'no answer',
        sentAt,
      });
      await pause(Math.max(0, intervalMs - (Date.now() - sentAt)));
    }
  }

  private async poll(): Promise<void> {
    while (this.polling) {
      for (const entry of this.pending()) {
        const response = await fetch(
          `${this.urls.projector}/v1/projects/${encodeURIComponent(`pylon-observer:${entry.uid}`)}`,
          { headers: { authorization: `Bearer ${this.tenant.api_key}` } },
        ).catch(() => null);
        await response?.arrayBuffer();
        if (response?.status === 200) entry.projectedAt = Date.now();
      }
      await pause(100);
    }
  }
}
