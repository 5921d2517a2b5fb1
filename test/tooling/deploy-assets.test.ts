import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { inCi } from '../support/test-env.js';

/**
 * The operator assets under deploy/: Prometheus' alert rules, their unit tests and the scrape
 * config checked by Prometheus' own promtool (Debian's `prometheus` package; skipped without it,
 * except in CI), and the Grafana dashboard read as JSON: every PromQL expression names only
 * metrics the apps serve, and no datasource is pinned to one Grafana's uid.
 */
const run = promisify(execFile);
const DASHBOARD = 'deploy/grafana/solar-hub.json';
const ALERTS = 'deploy/prometheus/alerts.yml';

/** The apps' own metrics (docs/health.md lists them), histograms apart for their series suffixes. */
const APP_METRICS = [
  'hub_ready',
  'hub_ingest_deliveries_total',
  'hub_ingest_events_published_total',
  'hub_bus_consumer_lag',
  'hub_bus_messages_handled_total',
  'hub_bus_dead_letters_total',
  'hub_projector_events_applied_total',
  'hub_projector_state_changes_published_total',
  'hub_dispatcher_attempts_total',
  'hub_dispatcher_deliveries',
  'hub_dispatcher_subscriptions',
  'hub_dispatcher_subscriptions_disabled_total',
  'hub_dispatcher_send_slots_in_use',
  'hub_retention_deleted_total',
  'hub_retention_cutoff_timestamp_seconds',
  'hub_retention_failures_total',
];
const APP_HISTOGRAMS = [
  'http_request_duration_seconds',
  'hub_bus_publish_duration_seconds',
  'hub_bus_publish_batch_size',
  'hub_bus_handler_duration_seconds',
  'hub_projector_apply_duration_seconds',
  'hub_dispatcher_delivery_latency_seconds',
  'hub_retention_round_duration_seconds',
];
/** Series Prometheus itself makes for every target. */
const PROMETHEUS_SERIES = ['up'];

/** What an operator must find on the dashboard. */
const DASHBOARD_MUST_SHOW = [
  'hub_ready',
  'hub_ingest_deliveries_total',
  'hub_bus_consumer_lag',
  'hub_bus_dead_letters_total',
  'hub_dispatcher_attempts_total',
  'hub_dispatcher_delivery_latency_seconds_bucket',
  'hub_dispatcher_subscriptions_disabled_total',
  'http_request_duration_seconds_bucket',
  'process_resident_memory_bytes',
  'process_cpu_seconds_total',
  'nodejs_eventloop_lag_p99_seconds',
];

/** Words of PromQL that are not metric names (label lists after them are removed beforehand). */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or']);
KEYWORDS.add('unless').add('offset').add('bool').add('inf').add('nan');

/**
 * The metric names a PromQL expression reads: what is left once strings, label matchers, ranges
 * and label lists are gone, minus function names (followed by a parenthesis) and keywords.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names: string[] = [];
  for (const [, name, call] of bare.matchAll(/(?<![\w.$:])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (!call && !KEYWORDS.has(name!.toLowerCase())) names.push(name!);
  }
  return names;
}

async function knownMetrics(): Promise<Set<string>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const defaults = await registry.getMetricsAsJSON();
  const histograms = [
    ...APP_HISTOGRAMS,
    ...defaults.filter((m) => String(m.type) === 'histogram').map((m) => m.name),
  ];
  return new Set([
    ...APP_METRICS,
    ...PROMETHEUS_SERIES,
    ...defaults.filter((m) => String(m.type) !== 'histogram').map((m) => m.name),
    ...histograms.flatMap((name) => ['_bucket', '_sum', '_count'].map((suffix) => name + suffix)),
  ]);
}

interface Dashboard {
  __inputs?: Array<{ name: string; type: string; pluginId: string }>;
  schemaVersion: number;
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; query: { query: string } | string }> };
}

async function readDashboard(): Promise<Dashboard> {
  return JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
}

/** Every PromQL expression of the dashboard, its template variables' `label_values(metric, …)` too. */
function dashboardExprs(dashboard: Dashboard): Array<{ where: string; expr: string }> {
  const panels = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })),
  );
  const variables = dashboard.templating.list.map((variable) => {
    const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
    const metric = /^label_values\(\s*([^,)]+)/.exec(query)?.[1] ?? query;
    return { where: `variable $${variable.name}`, expr: metric };
  });
  return [...panels, ...variables];
}

/** Every `datasource` value anywhere in the dashboard, with where it is. */
function datasources(value: unknown, where = '$'): Array<{ where: string; datasource: unknown }> {
  if (Array.isArray(value)) return value.flatMap((item, i) => datasources(item, `${where}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === 'datasource' ? [{ where, datasource: inner }] : datasources(inner, `${where}.${key}`),
  );
}

describe('deploy assets', () => {
  test('promtool checks the alert rules and the scrape config, and the alerts pass their unit tests', async (t) => {
    const promtool = await run('promtool', ['--version']).then(
      () => true,
      () => false,
    );
    if (!promtool) {
      if (inCi()) assert.fail('promtool is missing (apt-get install prometheus)');
      t.skip('promtool is missing: apt-get install --no-install-recommends prometheus');
      return;
    }
    await run('promtool', ['check', 'rules', ALERTS]);
    await run('promtool', ['check', 'config', 'deploy/prometheus/prometheus.yml']);
    const { stdout } = await run('promtool', ['test', 'rules', 'deploy/prometheus/alerts.test.yml']);
    assert.match(stdout, /SUCCESS/);
  });

  test('every alert names only metrics the apps serve, and says what to do', async () => {
    const known = await knownMetrics();
    const rules = (
      parseYaml(await readFile(ALERTS, 'utf8')) as {
        groups: Array<{ rules: Array<{ alert: string; expr: string; annotations: Record<string, string> }> }>;
      }
    ).groups.flatMap((group) => group.rules);
    assert.deepEqual(rules.map((rule) => rule.alert).sort(), [
      'HubAppDown',
      'HubAppNotReady',
      'HubConsumerLagGrowing',
      'HubDeadLetters',
      'HubDeliveryFailureRate',
      'HubPruningFails',
      'HubSubscriptionDisabled',
    ]);
    for (const rule of rules) {
      const unknown = metricNames(rule.expr).filter((name) => !known.has(name));
      assert.deepEqual(unknown, [], `${rule.alert}: ${rule.expr}`);
      for (const annotation of ['summary', 'description', 'runbook'])
        assert.ok(rule.annotations[annotation], `${rule.alert} has a ${annotation}`);
    }
  });

  test('the dashboard is importable anywhere and reads only metrics the apps serve', async () => {
    const dashboard = await readDashboard();
    assert.ok(dashboard.schemaVersion >= 36, `schemaVersion ${dashboard.schemaVersion}`);
    assert.deepEqual(
      dashboard.__inputs?.map(({ name, type, pluginId }) => ({ name, type, pluginId })),
      [{ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }],
    );
    for (const { where, datasource } of datasources(dashboard)) {
      const uid = typeof datasource === 'string' ? datasource : (datasource as { uid?: string }).uid;
      assert.ok(
        uid === '${DS_PROMETHEUS}' || uid === '-- Grafana --',
        `${where}: datasource ${JSON.stringify(datasource)} is not the \${DS_PROMETHEUS} input`,
      );
    }
    const known = await knownMetrics();
    const exprs = dashboardExprs(dashboard);
    const shown = new Set<string>();
    for (const { where, expr } of exprs) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `${where}: no metric in ${expr}`);
      assert.deepEqual(
        names.filter((name) => !known.has(name)),
        [],
        `${where}: ${expr}`,
      );
      names.forEach((name) => shown.add(name));
    }
    assert.deepEqual(
      DASHBOARD_MUST_SHOW.filter((name) => !shown.has(name)),
      [],
      'the dashboard shows each of these',
    );
  });

  test('metricNames finds the metrics of an expression, and only them', () => {
    assert.deepEqual(
      metricNames(
        'histogram_quantile(0.95, sum by (app, le) (rate(http_request_duration_seconds_bucket{app=~"$app"}[$__rate_interval])))',
      ),
      ['http_request_duration_seconds_bucket'],
    );
    assert.deepEqual(
      metricNames('sum(x_total unless x_total offset 10m) / on(app) group_left(job) up > bool 0.2'),
      ['x_total', 'x_total', 'up'],
    );
  });
});
