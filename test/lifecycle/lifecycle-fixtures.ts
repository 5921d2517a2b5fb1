import { randomBytes, randomUUID } from 'node:crypto';
import { PostgresLogBus, type OutgoingMessage } from '@hub/bus';
import { loadConfig } from '@hub/config';
import { canonicalTopics, topicNames } from '@hub/contracts';
import { defineQuery, execute, rowsOf } from '@hub/persistence';
import type { DataSource } from 'typeorm';
import { DispatcherConfig } from '../../apps/dispatcher/src/config/dispatcher.config.js';
import { SubscriptionRepository } from '../../apps/dispatcher/src/subscriptions/subscription.repository.js';
import { IngestConfig } from '../../apps/ingest/src/config/ingest.config.js';
import { ProjectorConfig } from '../../apps/projector/src/config/projector.config.js';
import { defaultLinkingRules } from '../../apps/projector/src/unified/linking-rules.js';
import { rebuildReadModels } from '../../apps/projector/src/rebuild/rebuild.js';
import { ERASE_SCHEMA } from '../../tools/tenant-erase.js';
import { asMessage, canonicalEvent } from '../support/canonical-events.js';
import { newSubscription } from '../medium/dispatcher-tables.js';
import { openMediumDatabase, type MediumDatabase } from '../medium/medium-database.js';

export const TOPICS = topicNames('hub');

/** Every app's tables, as the erase command opens them, two tenants, and a Postgres-log bus on it. */
export async function openLifecycleDatabase(): Promise<
  MediumDatabase & { bus: PostgresLogBus; url: string }
> {
  const db = await openMediumDatabase({
    entities: ERASE_SCHEMA.entities ?? [],
    migrations: ERASE_SCHEMA.migrations ?? [],
  });
  const url = databaseUrl(db.dataSource);
  const bus = new PostgresLogBus(db.dataSource, {
    databaseUrl: url,
    partitions: 4,
    groupCommit: { lingerMs: 0, maxMessages: 1_000, maxBytes: 1024 * 1024 },
  });
  await bus.ensureTopics(Object.values(TOPICS));
  return {
    ...db,
    bus,
    url,
    close: async () => {
      await bus.close();
      await db.close();
    },
  };
}

function databaseUrl(dataSource: DataSource): string {
  const options = dataSource.options as { url?: string };
  if (!options.url) throw new Error('the medium database has no URL');
  return options.url;
}

/** Each app's settings as its process would load them, with `env` over the defaults. */
export function appConfigs(url: string, env: Record<string, string> = {}) {
  const base = { DATABASE_URL: url, SECRETS_KEY: randomBytes(32).toString('base64'), ...env };
  return {
    ingest: loadConfig(IngestConfig, base),
    projector: loadConfig(ProjectorConfig, base),
    dispatcher: loadConfig(DispatcherConfig, base),
  };
}

/** Makes every row matching `where` of `table` look `days` old in `column`. */
export async function age(
  dataSource: DataSource,
  table: string,
  column: string,
  days: number,
  where = 'true',
  params: unknown[] = [],
): Promise<void> {
  await execute(
    dataSource,
    defineQuery(`UPDATE ${table} SET ${column} = now() - make_interval(days => ${days}) WHERE ${where}`),
    params,
  );
}

/**
 * A tenant's data in every table and on every topic: a source with counters and an unmapped
 * delivery, canonical events (projects with several versions, a customer, a monitor, an activity)
 * projected into the read models, a subscription with a delivery and its attempt, and raw
 * deliveries, state changes and dead letters keyed to it on the log.
 */
export async function seedTenant(
  db: MediumDatabase & { bus: PostgresLogBus },
  tenantId: string,
): Promise<void> {
  const sourceId = `src_${randomUUID().replace(/-/g, '')}`;
  await execute(
    db.dataSource,
    defineQuery(
      `INSERT INTO sources (tenant_id, id, provider, name, verification) VALUES ($1, $2, 'pylon-observer', 'Roofs', 'none')`,
    ),
    [tenantId, sourceId],
  );
  await execute(
    db.dataSource,
    defineQuery('INSERT INTO source_stats (tenant_id, source_id, accepted) VALUES ($1, $2, 3)'),
    [tenantId, sourceId],
  );
  await execute(
    db.dataSource,
    defineQuery(`INSERT INTO source_stats_minutes (tenant_id, source_id, minute, accepted)
       VALUES ($1, $2, date_trunc('minute', now()), 3)`),
    [tenantId, sourceId],
  );
  await insertUnmapped(db.dataSource, tenantId, sourceId, `raw_${randomUUID()}`);
  const subscription = newSubscription(tenantId);
  await new SubscriptionRepository(db.dataSource).createWithinQuota(subscription, 100);
  const delivery = await insertDelivery(db.dataSource, tenantId, subscription.id, 'succeeded');
  await insertAttempt(db.dataSource, tenantId, delivery);
  // The tenant's unified-record commands: rules of its own, and a manual decision.
  await execute(
    db.dataSource,
    defineQuery('INSERT INTO linking_rules (tenant_id, rules) VALUES ($1, $2::jsonb)'),
    [tenantId, JSON.stringify(defaultLinkingRules())],
  );
  await execute(
    db.dataSource,
    defineQuery(`INSERT INTO unified_decisions (tenant_id, kind, member_id, decision)
       VALUES ($1, 'project', 'pylon-observer:p2', 'unlink')`),
    [tenantId],
  );
  await db.bus.publishAll([
    { topic: TOPICS.projects, messages: projectEvents(tenantId) },
    { topic: TOPICS.customers, messages: [customerEvent(tenantId)] },
    { topic: TOPICS.monitoring, messages: [monitorEvent(tenantId)] },
    {
      topic: TOPICS.rawDeliveries,
      messages: [keyed(tenantId, sourceId, 'raw body: Jane Doe, +44 7700 900123')],
    },
    { topic: TOPICS.stateChanges, messages: [keyed(tenantId, 'pylon-observer:p1', 'state change')] },
    { topic: TOPICS.deadLetters, messages: [keyed(tenantId, 'pylon-observer:p1', 'dead letter')] },
  ]);
  await rebuildReadModels(db.dataSource, db.bus, { topicPrefix: 'hub', tenantId });
}

/** Three versions of project p1 and one of p2, and an activity on p1, in publish order. */
export function projectEvents(tenantId: string): OutgoingMessage[] {
  return [
    canonicalEvent({
      tenant: tenantId,
      externalId: 'p1',
      data: { name: 'Roof', stage: 'lead' },
      delivery: '1',
    }),
    canonicalEvent({
      tenant: tenantId,
      externalId: 'p1',
      data: { name: 'Roof', stage: 'design' },
      delivery: '2',
    }),
    canonicalEvent({
      tenant: tenantId,
      externalId: 'p1',
      data: { name: 'Roof and battery', stage: 'install', owner: 'Jane' },
      delivery: '3',
    }),
    canonicalEvent({ tenant: tenantId, externalId: 'p2', data: { name: 'Barn', stage: 'lead' } }),
    canonicalEvent({
      tenant: tenantId,
      externalId: 'p1',
      type: 'activity.email_sent',
      data: { to: 'jane@example.com' },
    }),
  ].map(asMessage);
}

function customerEvent(tenantId: string): OutgoingMessage {
  return asMessage(
    canonicalEvent({
      tenant: tenantId,
      externalId: 'c1',
      type: 'customer.upserted',
      data: { name: 'Jane Doe', email: 'jane@example.com' },
    }),
  );
}

function monitorEvent(tenantId: string): OutgoingMessage {
  return asMessage(
    canonicalEvent({
      tenant: tenantId,
      provider: 'observer',
      externalId: 'agent:a1',
      type: 'monitoring.agent.offline',
      data: { monitor_kind: 'agent', name: 'Roof agent' },
    }),
  );
}

function keyed(tenantId: string, entity: string, value: string): OutgoingMessage {
  return { key: `${tenantId}/${entity}`, value };
}

export async function insertUnmapped(
  dataSource: DataSource,
  tenantId: string,
  sourceId: string,
  id: string,
): Promise<void> {
  await execute(
    dataSource,
    defineQuery(`INSERT INTO unmapped_deliveries (tenant_id, source_id, id, received_at, reason, body_bytes, body, body_truncated)
       VALUES ($1, $2, $3, now(), 'no mapping', 20, '{"name":"Jane Doe"}', false)`),
    [tenantId, sourceId, id],
  );
}

/** A delivery of the subscription in `status`; finished ones finished now. Returns its id. */
export async function insertDelivery(
  dataSource: DataSource,
  tenantId: string,
  subscriptionId: string,
  status: 'pending' | 'sending' | 'succeeded' | 'failed',
): Promise<string> {
  const id = `dlv_${randomUUID().replace(/-/g, '')}`;
  await execute(
    dataSource,
    defineQuery(`INSERT INTO deliveries (tenant_id, id, subscription_id, change_id, event_type, entity_key, body,
                             status, attempts, change_time, completed_at, lease_until)
       VALUES ($1, $2, $3, $2, 'project.updated', 'project:p1', '{"name":"Jane Doe"}', $4, 1, now(),
               CASE WHEN $4 IN ('succeeded', 'failed') THEN now() END,
               CASE WHEN $4 = 'sending' THEN now() + interval '1 minute' END)`),
    [tenantId, id, subscriptionId, status],
  );
  return id;
}

export async function insertAttempt(
  dataSource: DataSource,
  tenantId: string,
  deliveryId: string,
): Promise<void> {
  await execute(
    dataSource,
    defineQuery(`INSERT INTO delivery_attempts (tenant_id, id, delivery_id, attempted_at, status_code, duration_ms)
       VALUES ($1, $2, $3, now(), 200, 12)`),
    [tenantId, `att_${randomUUID()}`, deliveryId],
  );
}

/** The tables holding a tenant's data, and how to count its rows in each. */
const TENANT_ROWS: Record<string, string> = {
  tenants: 'SELECT count(*)::int AS n FROM tenants WHERE id = $1',
  api_keys: 'SELECT count(*)::int AS n FROM api_keys WHERE tenant_id = $1',
  sources: 'SELECT count(*)::int AS n FROM sources WHERE tenant_id = $1',
  source_stats: 'SELECT count(*)::int AS n FROM source_stats WHERE tenant_id = $1',
  source_stats_minutes: 'SELECT count(*)::int AS n FROM source_stats_minutes WHERE tenant_id = $1',
  unmapped_deliveries: 'SELECT count(*)::int AS n FROM unmapped_deliveries WHERE tenant_id = $1',
  projects: 'SELECT count(*)::int AS n FROM projects WHERE tenant_id = $1',
  customers: 'SELECT count(*)::int AS n FROM customers WHERE tenant_id = $1',
  monitors: 'SELECT count(*)::int AS n FROM monitors WHERE tenant_id = $1',
  entity_history: 'SELECT count(*)::int AS n FROM entity_history WHERE tenant_id = $1',
  activities: 'SELECT count(*)::int AS n FROM activities WHERE tenant_id = $1',
  applied_events: 'SELECT count(*)::int AS n FROM applied_events WHERE tenant_id = $1',
  linking_rules: 'SELECT count(*)::int AS n FROM linking_rules WHERE tenant_id = $1',
  unified_decisions: 'SELECT count(*)::int AS n FROM unified_decisions WHERE tenant_id = $1',
  unified_links: 'SELECT count(*)::int AS n FROM unified_links WHERE tenant_id = $1',
  unified_link_keys: 'SELECT count(*)::int AS n FROM unified_link_keys WHERE tenant_id = $1',
  unified_records: 'SELECT count(*)::int AS n FROM unified_records WHERE tenant_id = $1',
  subscriptions: 'SELECT count(*)::int AS n FROM subscriptions WHERE tenant_id = $1',
  deliveries: 'SELECT count(*)::int AS n FROM deliveries WHERE tenant_id = $1',
  delivery_attempts: 'SELECT count(*)::int AS n FROM delivery_attempts WHERE tenant_id = $1',
  bus_messages: "SELECT count(*)::int AS n FROM bus_messages WHERE starts_with(key, $1 || '/')",
};

/** Rows of the tenant per table. */
export async function tenantRows(dataSource: DataSource, tenantId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [table, sql] of Object.entries(TENANT_ROWS)) {
    const [row] = await rowsOf(dataSource, defineQuery<{ n: number }>(sql), [tenantId]);
    counts[table] = row?.n ?? 0;
  }
  return counts;
}

/** Messages per topic on the log. */
export async function messagesPerTopic(dataSource: DataSource): Promise<Record<string, number>> {
  const rows = await rowsOf(
    dataSource,
    defineQuery<{ topic: string; n: number }>(
      'SELECT topic, count(*)::int AS n FROM bus_messages GROUP BY topic',
    ),
  );
  return Object.fromEntries(rows.map((row) => [row.topic, row.n]));
}

/** The read models as a rebuild or the live projector leaves them, without write times. */
export async function readModels(dataSource: DataSource): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const table of ['projects', 'customers', 'monitors']) {
    snapshot[table] = await rowsOf(
      dataSource,
      defineQuery<object>(`SELECT tenant_id, id, provider, sources, document::text AS document, version,
                                  provider_updated_at FROM ${table} ORDER BY tenant_id, id`),
    );
  }
  snapshot['unified_records'] = await rowsOf(
    dataSource,
    defineQuery<object>(`SELECT tenant_id, kind, id, version, document, provenance, conflicts, members
                           FROM unified_records ORDER BY tenant_id, kind, id`),
  );
  snapshot['activities'] = await rowsOf(
    dataSource,
    defineQuery<object>(`SELECT tenant_id, entity_type, entity_id, event_id, type, occurred_at, data
                           FROM activities ORDER BY tenant_id, event_id`),
  );
  return snapshot;
}

export const CANONICAL_TOPICS = canonicalTopics(TOPICS);
