import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { ConsumedMessage, EventBus } from '@hub/bus';
import { canonicalTopics } from '@hub/contracts';
import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { collect, eventually, pause, unique, type Collector } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { PROVIDER_CASES, send, type ProviderCase } from '../support/provider-requests.js';
import { createTenant, type Tenant } from '../support/tenants.js';
import { transportCases, type TransportFixture } from '../support/transports.js';
import { loadCorpus, matchesExpectation, type CorpusEntry, type CorpusFile } from './corpus.js';
import {
  anotherSecret,
  ingestRequest,
  managementRequest,
  sendOverHttp,
  sendRaw,
  SIGNING_MISTAKES,
  SQL_FRAGMENTS,
  type SigningContext,
  type WireAnswer,
  type WireRequest,
} from './hostile-requests.js';
import { TEST_TOPICS } from '../support/topic-prefix.js';

/**
 * Hostile input against the three apps as real processes on one fresh database: every corpus
 * entry (test/hostile/corpus) and a few hundred generated requests must get a 4xx with a
 * problem+json body, publish nothing, store nothing and leave every app healthy. The one
 * exception is a correctly signed JSON object the adapter cannot map: 200 `unmapped`, kept on the
 * raw topic (and in the unmapped listing) only. Then the
 * management APIs' key checks, route by route from each app's OpenAPI document, and where secrets
 * must never show up: logs (at LOG_LEVEL=debug), error bodies, and every topic.
 */
const cases = await transportCases();
after(stopEmbeddedTestServer);
const TOPICS = TEST_TOPICS;
const ALL_TOPICS = Object.values(TOPICS);
const CORPUS = loadCorpus();
const APPS = ['ingest', 'projector', 'dispatcher'] as const;
type AppName = (typeof APPS)[number];
/** `.invalid` never resolves (RFC 6761): nothing is ever sent there. */
const PUBLIC_ENDPOINT = 'https://receiver.invalid/hooks';
/** Paths that are public by design: the health check, metrics, the API documents, provider webhooks. */
const HMAC_PROVIDERS = ['pylon-observer', 'observer', 'standard-webhooks'];
const PUBLIC_ROUTES = [
  /^\/health(\/live|\/ready)?$/,
  /^\/metrics$/,
  /^\/openapi\.(json|yaml)$/,
  /^\/docs/,
  /^\/v1\/ingest\//,
];

for (const transport of cases) {
  describe(`hostile input [${transport.name}]`, { skip: transport.skip ?? false, timeout: 300_000 }, () => {
    let fixture: TransportFixture;
    let bus: EventBus;
    let everything: Collector;
    const apps = {} as Record<AppName, { process: AppProcess; base: string }>;
    let owner: Tenant;
    let other: Tenant;
    /** Per provider: the owner's source, a second source of the owner, the other tenant's source. */
    const sources = new Map<string, { id: string; secondSecret: string; otherTenantSource: string }>();
    let subscriptionId: string;
    let subscriptionSecret: string;
    let baseline: { messages: number; perTopic: Record<string, number>; rows: Record<string, number> };
    /** Every answer body an app gave to a hostile request, by request, to look for secrets in afterwards. */
    const answerBodies: Array<[string, string]> = [];
    /** Verified-but-unmapped answers: each may put one raw delivery (and nothing else) on the bus. */
    let unmappedCount = 0;

    const base = (app: AppName) => apps[app].base;
    const authorized = (tenant: Tenant, extra: Record<string, string> = {}) => ({
      authorization: `Bearer ${tenant.api_key}`,
      'content-type': 'application/json',
      ...extra,
    });

    before(async () => {
      fixture = await transport.setup();
      const env = {
        ...fixture.env,
        SECRETS_KEY: randomBytes(32).toString('base64'),
        LOG_LEVEL: 'debug',
        DISPATCH_POLL_INTERVAL: '1s',
      };
      // One at a time: each runs the migrations it finds pending (under a lock) before listening.
      for (const app of APPS) {
        const port = await freePort();
        const process = runProcess(`dist/apps/${app}/src/main.js`, {
          ...env,
          [`${app.toUpperCase()}_PORT`]: String(port),
        });
        apps[app] = { process, base: `http://127.0.0.1:${port}` };
        await waitForHealthy(apps[app].base, 60_000);
      }
      owner = await createTenant(fixture.env, 'Owner');
      other = await createTenant(fixture.env, 'Other');
      bus = await fixture.createBus('hostile-reader');
      everything = (await collect(bus, unique('hostile-all'), ALL_TOPICS)).collector;

      for (const providerCase of PROVIDER_CASES) {
        const id = await createSource(owner, providerCase, providerCase.secret);
        const secondSecret = anotherSecret(providerCase);
        await createSource(owner, providerCase, secondSecret);
        const otherTenantSource = await createSource(other, providerCase, anotherSecret(providerCase));
        sources.set(providerCase.provider, { id, secondSecret, otherTenantSource });
        // One genuine delivery per provider: the read models have rows for SQL strings not to
        // match, and the raw topic holds every provider's request to look for secrets in.
        const accepted = await send(base('ingest'), id, providerCase.request(providerCase.secret));
        assert.equal(accepted.status, 200, await accepted.text());
      }
      const subscription = await fetch(`${base('dispatcher')}/v1/subscriptions`, {
        method: 'POST',
        headers: authorized(owner),
        body: JSON.stringify({ endpoint: PUBLIC_ENDPOINT, enabled: false }),
      });
      assert.equal(subscription.status, 201, await subscription.clone().text());
      ({ id: subscriptionId, secret: subscriptionSecret } = (await subscription.json()) as {
        id: string;
        secret: string;
      });
      await eventually(async () => {
        const projects = await fetch(`${base('projector')}/v1/projects`, { headers: authorized(owner) });
        return ((await projects.json()) as { data: unknown[] }).data.length >= 3; // two from Pylon, one from OpenSolar
      });
      // Every canonical event applied (a Kafka group still rebalancing its consumers can hold some
      // back for longer than a quiet spell), then quiet: the baseline holds all their effects.
      const canonicalNames = canonicalTopics(TOPICS);
      await eventually(async () => {
        const canonical = everything.messages.filter((m) => canonicalNames.includes(m.topic)).length;
        const [row] = (await fixture.dataSource.query(
          'SELECT count(*)::int AS n FROM applied_events',
        )) as Array<{
          n: number;
        }>;
        return canonical > 0 && row!.n === canonical;
      }, 60_000);
      await settled(everything);
      baseline = { messages: everything.messages.length, perTopic: countPerTopic(), rows: await countRows() };
    });

    after(async () => {
      for (const app of APPS) await apps[app]?.process.stop('SIGTERM');
      await fixture?.close();
    });

    async function createSource(tenant: Tenant, providerCase: ProviderCase, secret: string): Promise<string> {
      const response = await fetch(`${base('ingest')}/v1/sources`, {
        method: 'POST',
        headers: authorized(tenant),
        body: JSON.stringify({
          provider: providerCase.provider,
          name: `${providerCase.provider} ${randomBytes(2).toString('hex')}`,
          secret,
          ...(providerCase.settings ? { settings: providerCase.settings } : {}),
        }),
      });
      assert.equal(response.status, 201, await response.clone().text());
      return ((await response.json()) as { id: string }).id;
    }

    function countPerTopic(): Record<string, number> {
      const counts = Object.fromEntries(ALL_TOPICS.map((topic) => [topic, 0]));
      for (const message of everything.messages) counts[message.topic] = (counts[message.topic] ?? 0) + 1;
      return counts;
    }

    async function countRows(): Promise<Record<string, number>> {
      const counts: Record<string, number> = {};
      for (const table of ['sources', 'subscriptions', 'deliveries', 'api_keys', 'tenants']) {
        const [row] = (await fixture.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`)) as Array<{
          n: number;
        }>;
        counts[table] = row!.n;
      }
      return counts;
    }

    /** Resolves an entry's placeholders and sends it; the answer's body is kept for the secret check. */
    async function sendEntry(file: CorpusFile, entry: CorpusEntry): Promise<WireAnswer> {
      const app: AppName = file.app ?? 'ingest';
      const provider = file.provider ?? 'observer';
      const source = sources.get(provider)!;
      const path = entry.path
        .replace('{source}', source.id)
        .replace('{other_tenant_source}', source.otherTenantSource)
        .replace('{subscription}', subscriptionId);
      let answer: WireAnswer;
      if (entry.raw !== undefined) {
        answer = await sendRaw(
          base(app),
          entry.raw.replace('{path}', path).replace('{api_key}', owner.api_key),
        );
      } else {
        const request: WireRequest = file.provider
          ? ingestRequest(entry, signingContext(provider), path)
          : managementRequest(entry, owner.api_key, path);
        answer = await sendOverHttp(base(app), request);
      }
      if ('body' in answer) answerBodies.push([entry.name, answer.body]);
      if ('body' in answer && answer.status === 200 && entry.unmapped) unmappedCount++;
      return answer;
    }

    function signingContext(provider: string): SigningContext {
      const providerCase = PROVIDER_CASES.find((c) => c.provider === provider)!;
      return {
        providerCase,
        secret: providerCase.secret,
        otherSourceSecret: sources.get(provider)!.secondSecret,
      };
    }

    for (const file of CORPUS) {
      test(`[${transport.name}] every request of ${file.file} gets its 4xx as problem+json (or Node's bodiless 400/431)`, async () => {
        const failures: string[] = [];
        for (const entry of file.entries) {
          const answer = await sendEntry(file, entry);
          const problem = checkAnswer(entry, answer);
          if (problem) failures.push(`${entry.name}: ${problem}`);
        }
        assert.deepEqual(failures, [], `${failures.length} of ${file.entries.length} entries failed`);
      });
    }

    test(`[${transport.name}] property: any body a provider signs wrongly is a 401 problem`, async () => {
      // A signature of another body is a mistake only where the signature covers the body.
      const mistakes = (provider: string) =>
        ['wrong-secret', 'flip-first', 'flip-last', 'truncated', 'none', 'empty'].concat(
          HMAC_PROVIDERS.includes(provider) ? ['other-body'] : [],
        );
      await fc.assert(
        fc.asyncProperty(
          fc
            .constantFrom(...PROVIDER_CASES.map((c) => c.provider))
            .chain((provider) => fc.tuple(fc.constant(provider), fc.constantFrom(...mistakes(provider)))),
          fc.oneof(
            fc.jsonValue().map((value) => JSON.stringify(value)),
            validBodyMutated(),
          ),
          async ([provider, auth], body) => {
            assert.ok(auth in SIGNING_MISTAKES);
            const entry: CorpusEntry = {
              name: 'generated',
              method: 'POST',
              path: '',
              body,
              auth,
              expect: 401,
            };
            await expectEntry(
              { provider, file: 'generated', entries: [] },
              { ...entry, path: '/v1/ingest/{source}' },
            );
          },
        ),
        { numRuns: 70 },
      );
    });

    test(`[${transport.name}] property: correctly signed JSON of the wrong shape is a 400 problem, or 200 unmapped for an object`, async () => {
      const known = ['team', 'projects', 'type', 'project', 'contact', 'event', 'type_request', 'data'];
      const wrongShape = fc
        .jsonValue()
        .filter(
          (value) =>
            !value || typeof value !== 'object' || Array.isArray(value) || !known.some((key) => key in value),
        );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...PROVIDER_CASES.map((c) => c.provider)),
          wrongShape,
          async (provider, value) => {
            // A verified object is kept as unmapped (the provider must not retry it for ever).
            const isObject = !!value && typeof value === 'object' && !Array.isArray(value);
            const entry: CorpusEntry = {
              name: `generated ${JSON.stringify(value).slice(0, 60)}`,
              method: 'POST',
              path: '/v1/ingest/{source}',
              body: JSON.stringify(value),
              auth: 'valid',
              expect: isObject ? 200 : 400,
              unmapped: isObject,
            };
            await expectEntry({ provider, file: 'generated', entries: [] }, entry);
          },
        ),
        { numRuns: 70 },
      );
    });

    test(`[${transport.name}] property: random strings as ids, cursors and filters never get past a 4xx or an empty page`, async () => {
      const text = fc.oneof(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        fc
          .array(fc.oneof(fc.constantFrom(...SQL_FRAGMENTS), fc.string({ maxLength: 5 })), { minLength: 1 })
          .map((parts) => parts.join('')),
      );
      const targets: Array<{ app: AppName; path: (s: string) => string; expect: number[] }> = [
        { app: 'projector', path: (s) => `/v1/projects/${s}`, expect: [400, 404] },
        { app: 'projector', path: (s) => `/v1/customers/${s}/history`, expect: [400, 404] },
        { app: 'projector', path: (s) => `/v1/projects?stage=${s}`, expect: [200, 400] },
        { app: 'projector', path: (s) => `/v1/customers?email=${s}`, expect: [200, 400] },
        { app: 'projector', path: (s) => `/v1/monitors?cursor=${s}`, expect: [200, 400] },
        { app: 'projector', path: (s) => `/v1/projects?source=${s}`, expect: [200, 400] },
        { app: 'ingest', path: (s) => `/v1/sources/${s}`, expect: [400, 404] },
        { app: 'ingest', path: (s) => `/v1/sources?cursor=${s}`, expect: [400] },
        { app: 'dispatcher', path: (s) => `/v1/subscriptions/${s}/deliveries`, expect: [400, 404] },
        { app: 'dispatcher', path: (s) => `/v1/subscriptions?cursor=${s}`, expect: [400] },
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...targets),
          text.filter((s) => s.trim() !== '' && s !== '.' && s !== '..' && !['Sold'].includes(s)),
          async (target, value) => {
            const path = target.path(encodeURIComponent(value));
            const answer = await sendOverHttp(base(target.app), {
              method: 'GET',
              path,
              headers: [['authorization', `Bearer ${owner.api_key}`]],
              body: Buffer.alloc(0),
            });
            const label = `${target.app} GET ${path}`;
            assert.ok('status' in answer, `${label}: connection dropped (${JSON.stringify(answer)})`);
            answerBodies.push([`GET ${path}`, answer.body]);
            assert.ok(target.expect.includes(answer.status), `${label}: ${answer.status} ${answer.body}`);
            if (answer.status === 200) {
              // Only a filter can answer 200, and a random string matches none of the rows.
              assert.deepEqual((JSON.parse(answer.body) as { data: unknown[] }).data, [], label);
            } else {
              assert.equal(problemOf(answer), null, label);
            }
          },
        ),
        { numRuns: 70 },
      );
    });

    async function expectEntry(file: CorpusFile, entry: CorpusEntry): Promise<void> {
      const answer = await sendEntry(file, entry);
      const problem = checkAnswer(entry, answer);
      assert.equal(problem, null, `${file.provider}: ${entry.name} (${entry.auth}): ${problem}`);
    }

    /** The routes whose body `{}` would not pass validation, with one that does. */
    const VALID_BODIES: Array<[string, string]> = [
      ['/replay', '{"since":"2020-01-01T00:00:00Z"}'],
      ['/links', '{"record":"opensolar:8812"}'],
    ];

    test(`[${transport.name}] every management route of every app refuses a missing key, a wrong key and another tenant's key`, async () => {
      const ids = {
        ingest: sources.get('observer')!.id,
        projector: 'opensolar:8812',
        dispatcher: subscriptionId,
      };
      const checked: string[] = [];
      const failures: string[] = [];
      for (const app of APPS) {
        const document = (await (await fetch(`${base(app)}/openapi.json`)).json()) as {
          paths: Record<string, Record<string, unknown>>;
        };
        for (const [template, operations] of Object.entries(document.paths)) {
          if (PUBLIC_ROUTES.some((pattern) => pattern.test(template))) continue;
          const hasId = template.includes('{');
          const path = template.replace(/\{[^}]+\}/g, ids[app]);
          for (const method of Object.keys(operations).map((m) => m.toUpperCase())) {
            checked.push(`${app} ${method} ${template}`);
            const attempts: Array<[string, Record<string, string>, number[]]> = [
              ['no key', { 'content-type': 'application/json' }, [401]],
              ['a wrong key', authorizedWith(`hub_${randomBytes(32).toString('base64url')}`), [401]],
              ['a malformed key', authorizedWith('not a key at all'), [401]],
              [
                "the owner's key with a character changed",
                authorizedWith(`${owner.api_key.slice(0, -1)}x`),
                [401],
              ],
            ];
            // Another tenant's key is a valid key: it must not reach the owner's resource.
            if (hasId) attempts.push(["another tenant's key", authorized(other), [404]]);
            for (const [what, headers, statuses] of attempts) {
              const response = await fetch(`${base(app)}${path}`, {
                method,
                headers,
                // A body that passes validation, so the lookup (and its 404) is what answers.
                ...(['POST', 'PATCH', 'PUT'].includes(method)
                  ? { body: VALID_BODIES.find(([end]) => template.endsWith(end))?.[1] ?? '{}' }
                  : {}),
              });
              const body = await response.text();
              answerBodies.push([`${app} ${method} ${template} with ${what}`, body]);
              if (!statuses.includes(response.status))
                failures.push(`${app} ${method} ${template} with ${what}: ${response.status} ${body}`);
              else if (!/^application\/problem\+json/.test(response.headers.get('content-type') ?? ''))
                failures.push(`${app} ${method} ${template} with ${what}: not problem+json`);
            }
          }
          if (!hasId && 'get' in operations) {
            // A list or a read of one's own: the other tenant sees none of the owner's ids.
            const response = await fetch(`${base(app)}${path}`, { headers: authorized(other) });
            const body = await response.text();
            for (const id of [...Object.values(ids), owner.tenant_id])
              if (body.includes(id))
                failures.push(`${app} GET ${template} shows the owner's ${id} to another tenant`);
          }
        }
      }
      assert.deepEqual(failures, []);
      for (const route of [
        'ingest GET /v1/sources',
        'ingest PATCH /v1/sources/{id}',
        'ingest GET /v1/sources/{id}/stats',
        'projector GET /v1/projects/{id}/history',
        'projector GET /v1/monitors',
        'dispatcher POST /v1/deliveries/{id}/retry',
        'dispatcher DELETE /v1/hooks/{id}',
        'dispatcher POST /v1/subscriptions/{id}/replay',
      ]) {
        assert.ok(
          checked.includes(route),
          `${route} is in the OpenAPI documents (checked: ${checked.join(', ')})`,
        );
      }
    });

    const authorizedWith = (key: string) => ({
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
    });

    test(`[${transport.name}] nothing was published and no row was stored for any hostile request (but unmapped raw deliveries)`, async () => {
      await pause(1_500); // anything in flight would have reached the collector by now
      // An unmapped answer publishes one raw delivery, marked unmapped; retries of one body share its id.
      const added = everything.messages.slice(baseline.messages);
      const notUnmapped = added.filter(
        (m) => m.topic !== TOPICS.rawDeliveries || JSON.parse(m.value.toString()).unmapped !== true,
      );
      assert.deepEqual(notUnmapped.map(wireText), []);
      assert.equal(added.length, unmappedCount);
      assert.ok(unmappedCount > 0, 'the corpus holds verified objects that cannot be mapped');
      assert.deepEqual(await countRows(), baseline.rows);
    });

    test(`[${transport.name}] every app is still running and healthy`, async () => {
      for (const app of APPS) {
        assert.equal(apps[app].process.child.exitCode, null, `${app} is still running`);
        const health = await fetch(`${base(app)}/health/ready`);
        assert.equal(health.status, 200, `${app}: ${await health.text()}`);
      }
    });

    test(`[${transport.name}] no secret or API key appears in the logs, in an error body or on any topic`, async () => {
      const secrets = new Map<string, string>([
        ["the owner's API key", owner.api_key],
        ["the other tenant's API key", other.api_key],
        ['the subscription secret', subscriptionSecret],
        ['the subscription key', subscriptionSecret.slice('whsec_'.length)],
      ]);
      for (const providerCase of PROVIDER_CASES) {
        secrets.set(`the ${providerCase.provider} secret`, providerCase.secret);
        secrets.set(
          `the second ${providerCase.provider} secret`,
          sources.get(providerCase.provider)!.secondSecret,
        );
      }
      const opensolar = PROVIDER_CASES.find((c) => c.provider === 'opensolar')!;
      secrets.set('the OpenSolar token without its scheme', opensolar.secret.replace(/^Token /, ''));
      const standard = PROVIDER_CASES.find((c) => c.provider === 'standard-webhooks')!;
      secrets.set('the Standard Webhooks key', standard.secret.slice('whsec_'.length));
      const places: Array<[string, string]> = [
        ...APPS.map((app): [string, string] => [`the ${app} log`, apps[app].process.output.join('\n')]),
        ...answerBodies.map(([request, body]): [string, string] => [`the answer to ${request}`, body]),
        ...everything.messages.map((message): [string, string] => [
          `a message on ${message.topic}`,
          wireText(message),
        ]),
      ];
      // The apps ran at LOG_LEVEL=debug (the most they ever say) and did log: the search is not vacuous.
      for (const app of APPS)
        assert.ok(
          apps[app].process.output.some((line) => line.includes('listening on')),
          `${app} logged`,
        );
      assert.ok(
        everything.messages.some((m) => m.topic === TOPICS.rawDeliveries),
        'raw deliveries were read',
      );
      const leaks: string[] = [];
      for (const [name, secret] of secrets)
        for (const [place, text] of places) if (text.includes(secret)) leaks.push(`${name} in ${place}`);
      assert.deepEqual(leaks, []);
    });
  });
}

/** A message as it travels: key, headers and value, with the raw body decoded too. */
function wireText(message: ConsumedMessage): string {
  const value = message.value.toString();
  let decoded = '';
  try {
    const parsed = JSON.parse(value) as { body_base64?: unknown };
    if (typeof parsed.body_base64 === 'string')
      decoded = Buffer.from(parsed.body_base64, 'base64').toString();
  } catch {
    // not JSON: the value as it is
  }
  return [message.key, JSON.stringify(message.headers), value, decoded].join('\n');
}

/** Waits until nothing new has arrived for a while: the pipeline's consequences of setup are done. */
async function settled(collector: Collector): Promise<void> {
  let last = -1;
  while (collector.messages.length !== last) {
    last = collector.messages.length;
    await pause(2_000);
  }
}

/** The answer's fault, or null when the answer is what the entry expects. */
function checkAnswer(entry: CorpusEntry, answer: WireAnswer): string | null {
  if ('dropped' in answer) return `connection dropped without an answer: ${answer.dropped}`;
  if (answer.status >= 500) return `server error ${answer.status}: ${answer.body.slice(0, 300)}`;
  if (!matchesExpectation(entry, answer.status))
    return `expected ${entry.expect}, got ${answer.status}: ${answer.body.slice(0, 300)}`;
  if (answer.status === 200 && entry.unmapped) {
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    return body['unmapped'] === true && body['accepted'] === 0 && typeof body['reason'] === 'string'
      ? null
      : `not an unmapped answer: ${answer.body.slice(0, 300)}`;
  }
  if (answer.status === 200) {
    if (!entry.empty) return 'a 200 where none was expected';
    const data = (JSON.parse(answer.body) as { data?: unknown[] }).data;
    return Array.isArray(data) && data.length === 0 ? null : `matched rows: ${answer.body.slice(0, 300)}`;
  }
  // Node's own parser answers malformed HTTP (400) and oversized headers (431) before any app code
  // runs, with no body and no content type; only entries marked `node` may get such an answer.
  const fromNode =
    !answer.headers['content-type'] && answer.body === '' && [400, 431].includes(answer.status);
  if (fromNode) return entry.node ? null : `Node's bodiless ${answer.status}, not the app's problem+json`;
  return problemOf(answer);
}

/** Null when the answer is an RFC 9457 problem with type, title, status and detail. */
function problemOf(answer: {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}): string | null {
  const type = String(answer.headers['content-type'] ?? '');
  if (!/^application\/problem\+json/.test(type)) return `content-type ${type}: ${answer.body.slice(0, 200)}`;
  const problem = JSON.parse(answer.body) as Record<string, unknown>;
  for (const field of ['type', 'title', 'detail'])
    if (typeof problem[field] !== 'string') return `problem without ${field}: ${answer.body}`;
  return problem['status'] === answer.status ? null : `problem status ${String(problem['status'])}`;
}

/** A provider's valid body with one character changed, inserted or removed. */
function validBodyMutated() {
  return fc
    .tuple(
      fc.constantFrom(...PROVIDER_CASES.map((c) => c.request(c.secret).body)),
      fc.nat(),
      fc.constantFrom('', '"', '{', '}', ',', ':', '\\', 'x', '0', ' '),
    )
    .map(([body, at, insert]) => {
      const position = at % body.length;
      return body.slice(0, position) + insert + body.slice(position + 1);
    });
}
