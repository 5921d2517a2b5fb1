import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createTestDatabase, stopEmbeddedTestServer, type TestDatabase } from '../support/database.js';
import { startApps, type AppName, type RunningApps } from '../support/app-process.js';

const APPS: AppName[] = ['ingest', 'projector', 'dispatcher'];
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const PROBLEM_REF = '#/components/schemas/Problem';
/** Routes that take no API key: probes, the scrape target, a provider's webhook. */
const PUBLIC_PATHS = [/^\/health(\/live|\/ready)?$/, /^\/metrics$/, /^\/v1\/ingest\/\{sourceId\}$/];
/** Readiness answers its 503 with the report itself, so a probe can tell which check failed. */
const READINESS_PATHS = /^\/health(\/ready)?$/;

interface Response {
  description: string;
  content?: Record<string, { schema?: Record<string, unknown> }>;
}
interface Operation {
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; schema?: { maximum?: number; default?: number } }>;
  responses: Record<string, Response>;
}
interface OpenApiDocument {
  openapi: string;
  security?: Array<Record<string, string[]>>;
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components: { securitySchemes: Record<string, Record<string, unknown>> };
}

function operationsOf(document: OpenApiDocument): Array<[string, string, Operation]> {
  return Object.entries(document.paths).flatMap(([route, item]) =>
    METHODS.flatMap((method) =>
      item[method] ? [[route, method, item[method]] as [string, string, Operation]] : [],
    ),
  );
}

/** Each 2xx but a 204 carries a schema: a client generator has a type for every answer. */
function successProblems(route: string, method: string, operation: Operation): string[] {
  const successes = Object.entries(operation.responses).filter(([status]) => /^2/.test(status));
  if (successes.length === 0) return [`${method} ${route}: no 2xx response`];
  return successes
    .filter(
      ([status, response]) =>
        status !== '204' && !Object.values(response.content ?? {}).some((c) => c.schema),
    )
    .map(([status]) => `${method} ${route}: ${status} has no schema`);
}

/** Every 4xx and 5xx is the one problem schema, as problem+json. */
function errorProblems(route: string, method: string, operation: Operation): string[] {
  const errors = Object.entries(operation.responses).filter(([status]) => /^[45]/.test(status));
  const problems: string[] = [];
  if (!errors.some(([status]) => status.startsWith('4')))
    problems.push(`${method} ${route}: no 4xx response`);
  for (const [status, response] of errors) {
    if (status === '503' && READINESS_PATHS.test(route)) continue;
    const schema = response.content?.['application/problem+json']?.schema;
    if (schema?.['$ref'] !== PROBLEM_REF)
      problems.push(`${method} ${route}: ${status} is not the problem schema`);
  }
  return problems;
}

/** Runs a compiled tool from node_modules, failing the test with its output when it fails. */
function runTool(script: string, args: string[]): void {
  const result = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  assert.equal(result.status, 0, `${script} ${args.join(' ')}:\n${result.stdout}\n${result.stderr}`);
}

/**
 * A client's program against the generated types of each app's main routes. The @ts-expect-error
 * lines fail the check if a type is too loose (any, unknown, an empty object) to catch a mistake.
 */
const CLIENT_PROGRAM = `
import type { paths as Ingest } from './ingest.js';
import type { paths as Projector } from './projector.js';
import type { paths as Dispatcher } from './dispatcher.js';

type Json<R> = R extends { content: { 'application/json': infer T } } ? T : never;

type NewSource = Ingest['/v1/sources']['post']['requestBody']['content']['application/json'];
type Source = Json<Ingest['/v1/sources']['post']['responses'][201]>;
type SourcePage = Json<Ingest['/v1/sources']['get']['responses'][200]>;
type SourceQuery = NonNullable<Ingest['/v1/sources']['get']['parameters']['query']>;
type Stats = Json<Ingest['/v1/sources/{id}/stats']['get']['responses'][200]>;
type Unmapped = Json<Ingest['/v1/sources/{id}/unmapped']['get']['responses'][200]>;
type Problem = Ingest['/v1/sources/{id}']['get']['responses'][404]['content']['application/problem+json'];

const newSource: NewSource = { provider: 'opensolar', name: 'OpenSolar', verification: 'signature' };
// @ts-expect-error provider is one of the supported providers
const unknownProvider: NewSource = { provider: 'nobody', name: 'x' };
const query: SourceQuery = { limit: 100, cursor: 'WyJzcmNfYSJd' };
const firstPage: SourceQuery = {};
export function ingestUrls(page: SourcePage): string[] {
  return page.data.map((source: Source) => source.ingest_url);
}
export function counts(stats: Stats, unmapped: Unmapped): number {
  return stats.accepted + stats.unmapped.count + unmapped.data.length;
}
export function describeProblem(problem: Problem): string {
  return \`\${problem.status} \${problem.title}: \${problem.detail}\`;
}

type ProjectQuery = NonNullable<Projector['/v1/projects']['get']['parameters']['query']>;
type ProjectPage = Json<Projector['/v1/projects']['get']['responses'][200]>;
type Project = Json<Projector['/v1/projects/{id}']['get']['responses'][200]>;
type History = Json<Projector['/v1/projects/{id}/history']['get']['responses'][200]>;
type Activity = Json<Projector['/v1/monitors/{id}/activity']['get']['responses'][200]>;
type HistoryQuery = NonNullable<Projector['/v1/customers/{id}/history']['get']['parameters']['query']>;

const projects: ProjectQuery = { stage: 'installed', provider: 'opensolar', limit: 50 };
const historyPage: HistoryQuery = { cursor: 'WyIyIl0', limit: 10 };
export function nextPage(page: ProjectPage | History | Activity): string | null {
  return page.next_cursor;
}
export function versions(project: Project, history: History): number[] {
  return [project.version, ...history.data.map((entry) => entry.version)];
}
export function activityTypes(activity: Activity): string[] {
  return activity.data.map((entry) => entry.type);
}

type UnifiedQuery = NonNullable<Projector['/v1/unified/customers']['get']['parameters']['query']>;
type UnifiedPage = Json<Projector['/v1/unified/customers']['get']['responses'][200]>;
type UnifiedProject = Json<Projector['/v1/unified/projects/{id}']['get']['responses'][200]>;
type Rules = Projector['/v1/unified/rules']['put']['requestBody']['content']['application/json'];
type RulesChange = Json<Projector['/v1/unified/rules']['put']['responses'][200]>;
type LinkBody = Projector['/v1/unified/customers/{id}/links']['post']['requestBody']['content']['application/json'];
type Unlinked = Json<Projector['/v1/unified/projects/{id}/links/{record}']['delete']['responses'][200]>;

const unifiedQuery: UnifiedQuery = { email: 'ada@example.com', provider: 'solarproof', limit: 10 };
const linkBody: LinkBody = { record: 'solarproof:5150' };
const rules: Rules = {
  customer: { email: true, plus_addressing: false, phone: 'always', default_country: 'US' },
  project: { references: [], via_customer: false },
  conflicts: { default: 'latest', rank: { phone: ['solarproof'] } },
};
// @ts-expect-error phone is one of the documented rules
const badRules: Rules = { ...rules, customer: { ...rules.customer, phone: 'sometimes' } };
export function whereFrom(page: UnifiedPage, project: UnifiedProject): string[] {
  return [
    ...page.data.flatMap((unified) => unified.members.map((member) => member.record)),
    ...Object.values(project.provenance).map((field) => field.provider),
  ];
}
export function regrouped(change: RulesChange, unlinked: Unlinked): number {
  return change.regrouped + unlinked.regrouped + unlinked.data.length + change.rules.project.references.length;
}

type NewSubscription = Dispatcher['/v1/subscriptions']['post']['requestBody']['content']['application/json'];
type Subscription = Json<Dispatcher['/v1/subscriptions']['post']['responses'][201]>;
type SubscriptionPage = Json<Dispatcher['/v1/subscriptions']['get']['responses'][200]>;
type DeliveryPage = Json<Dispatcher['/v1/subscriptions/{id}/deliveries']['get']['responses'][200]>;
type Delivery = Json<Dispatcher['/v1/deliveries/{id}']['get']['responses'][200]>;
type Replay = Dispatcher['/v1/subscriptions/{id}/replay']['post']['requestBody']['content']['application/json'];
type DeliveryQuery = NonNullable<Dispatcher['/v1/subscriptions/{id}/deliveries']['get']['parameters']['query']>;

const subscription: NewSubscription = {
  endpoint: 'https://example.com/hooks',
  event_types: ['project.updated'],
  ordering: 'entity',
  signature_scheme: 'standard-webhooks',
};
// @ts-expect-error endpoint is required
const noEndpoint: NewSubscription = { event_types: [] };
const replay: Replay = { since: '2026-01-01T00:00:00Z' };
const failed: DeliveryQuery = { status: 'failed', limit: 100 };
export function statuses(created: Subscription, page: SubscriptionPage): string[] {
  return [created.status, ...page.data.map((s) => s.status)];
}
export function lastCodes(log: DeliveryPage, one: Delivery): Array<number | null> {
  return [...log.data.map((d) => d.last_status_code), ...one.attempts.map((a) => a.status_code)];
}

export const used = [firstPage, newSource, unknownProvider, query, projects, historyPage, unifiedQuery, linkBody, badRules, subscription, noEndpoint, replay, failed];
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    noEmit: true,
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    lib: ['ES2022'],
    types: [],
    skipLibCheck: true,
  },
  include: ['*.ts'],
};

after(stopEmbeddedTestServer);

describe('OpenAPI documents', { timeout: 240_000 }, () => {
  let database: TestDatabase;
  let apps: RunningApps;
  const documents = {} as Record<AppName, OpenApiDocument>;

  before(async () => {
    database = await createTestDatabase();
    apps = await startApps(APPS, { DATABASE_URL: database.url });
    for (const app of APPS) {
      const response = await fetch(`${apps.urls[app]}/openapi.json`);
      assert.equal(response.status, 200);
      documents[app] = (await response.json()) as OpenApiDocument;
    }
  });
  after(async () => {
    await apps?.stop();
    await database?.drop();
  });

  test('each app serves a valid OpenAPI document', async () => {
    for (const app of APPS) {
      const result = await new Validator().validate(documents[app] as unknown as Record<string, unknown>);
      assert.ok(result.valid, `${app}: ${JSON.stringify(result.errors, null, 2)}`);
    }
  });

  test('every operation has a typed success and problem+json errors', () => {
    const problems = APPS.flatMap((app) =>
      operationsOf(documents[app]).flatMap(([route, method, operation]) => [
        ...successProblems(route, method, operation).map((p) => `${app} ${p}`),
        ...errorProblems(route, method, operation).map((p) => `${app} ${p}`),
      ]),
    );
    assert.deepEqual(problems, []);
  });

  test('the API key is an opaque bearer token, asked for by every route but the public ones', () => {
    for (const app of APPS) {
      const document = documents[app];
      const schemes = Object.values(document.components.securitySchemes);
      assert.deepEqual(
        schemes.map(({ type, scheme, bearerFormat }) => ({ type, scheme, bearerFormat })),
        [{ type: 'http', scheme: 'bearer', bearerFormat: undefined }],
      );
      assert.equal(document.security?.length, 1, `${app}: a key is the default`);
      for (const [route, method, operation] of operationsOf(document)) {
        const isPublic = PUBLIC_PATHS.some((pattern) => pattern.test(route));
        if (isPublic) assert.deepEqual(operation.security, [], `${app} ${method} ${route} takes no key`);
        else {
          assert.equal(operation.security, undefined, `${app} ${method} ${route} takes the key`);
          assert.ok(operation.responses['401'], `${app} ${method} ${route} documents its 401`);
          // A read key may only GET: every other keyed route answers it 403.
          assert.equal(
            '403' in operation.responses,
            method !== 'get',
            `${app} ${method} ${route} documents a 403 for a read key exactly when it is not a GET`,
          );
        }
      }
    }
    assert.ok(documents.ingest.paths['/v1/ingest/{sourceId}']?.post, 'the webhook route is documented');
    assert.ok(documents.ingest.paths['/metrics']?.get, '/metrics is documented');
  });

  test('every list takes the same limit and cursor', () => {
    const lists = APPS.flatMap((app) =>
      operationsOf(documents[app]).filter(([, , operation]) =>
        JSON.stringify(operation.responses['200'] ?? {}).includes('next_cursor'),
      ),
    );
    assert.ok(lists.length >= 11, `lists found: ${lists.map(([route]) => route).join(', ')}`);
    for (const [route, , operation] of lists) {
      const parameter = (name: string) =>
        operation.parameters?.find((p) => p.name === name && p.in === 'query');
      assert.equal(parameter('limit')?.schema?.maximum, 100, `${route}: limit at most 100`);
      assert.equal(parameter('limit')?.schema?.default, 50, `${route}: limit 50 by default`);
      assert.ok(parameter('cursor'), `${route}: takes a cursor`);
    }
  });

  test('a client generated with openapi-typescript type-checks against the main routes', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hub-openapi-'));
    try {
      for (const app of APPS) {
        const input = path.join(dir, `${app}.json`);
        await writeFile(input, JSON.stringify(documents[app]));
        runTool('node_modules/openapi-typescript/bin/cli.js', [
          input,
          '--output',
          path.join(dir, `${app}.ts`),
        ]);
      }
      await writeFile(path.join(dir, 'client.ts'), CLIENT_PROGRAM);
      await writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
      runTool('node_modules/typescript/bin/tsc', ['-p', dir]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
