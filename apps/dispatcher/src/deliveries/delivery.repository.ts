import { Inject, Injectable } from '@nestjs/common';
import {
  affectedBy,
  chunksForParameters,
  DATA_SOURCE,
  defineQuery,
  execute,
  rowsOf,
  valuesList,
} from '@hub/persistence';
import type { DataSource, EntityManager } from 'typeorm';
import type { SubscriptionRow } from '../subscriptions/subscription.repository.js';

export type DeliveryStatus = 'pending' | 'sending' | 'succeeded' | 'failed';

export interface NewDelivery {
  tenantId: string;
  id: string;
  subscriptionId: string;
  changeId: string;
  eventType: string;
  entityKey: string;
  body: string;
  changeTime: string;
  /** With tracing on, the W3C headers of the span that matched it (see matching.tracing.ts). */
  traceContext?: Record<string, string> | null;
}

/** A delivery claimed for sending, with what its subscription needs to sign and address it. */
export interface ClaimedDelivery extends Pick<
  SubscriptionRow,
  | 'endpoint'
  | 'headers'
  | 'signature_scheme'
  | 'secret_sealed'
  | 'previous_secret_sealed'
  | 'previous_secret_expires_at'
  | 'failing_since'
  | 'ordering'
> {
  tenant_id: string;
  id: string;
  subscription_id: string;
  event_type: string;
  entity_key: string;
  body: string;
  attempts: number;
  /** The state change's time: a success's delivery latency runs from it. */
  change_time: Date;
  /** Until when this claim holds the row; after it the lease sweep may hand it to anyone. */
  lease_until: Date;
  /** The trace its attempts are spans of (W3C headers), when it was matched with tracing on. */
  trace_context: Record<string, string> | null;
}

/** How one attempt ended, as the delivery row records it. */
export interface AttemptRecord {
  tenantId: string;
  attemptId: string;
  deliveryId: string;
  attemptedAt: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string;
  /** The delivery's state after this attempt. */
  status: 'pending' | 'succeeded' | 'failed';
  nextAttemptAt: Date | null;
}

export interface DeliveryRow {
  seq: string;
  tenant_id: string;
  id: string;
  subscription_id: string;
  change_id: string;
  event_type: string;
  entity_key: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  change_time: Date;
  created_at: Date;
  completed_at: Date | null;
}

export interface AttemptRow {
  delivery_id: string;
  id: string;
  attempted_at: Date;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_body: string;
}

/** A subscription's deliveries and attempts over a window, as statsOf reads them. */
export interface DeliveryStatsRow {
  succeeded: number;
  failed: number;
  /** Not finished yet: waiting, or being sent. */
  pending: number;
  /** Of the successful attempts' durations; null when there were none. */
  p50_ms: number | null;
  p95_ms: number | null;
  last_failure_at: Date | null;
  last_failure_status_code: number | null;
  last_failure_error: string | null;
}

/** Which deliveries a tenant-wide log page reads. */
export interface DeliveryLogFilter {
  subscriptionId?: string;
  status?: DeliveryStatus;
  /** The cursor of the previous page. */
  beforeSeq?: string;
  limit: number;
}

/** A delivery insertMatched stored; a conflict returns none. */
interface InsertedRow {
  id: string;
  /** Set when it was stored already claimed (see MatchedHandOver). */
  lease_until: Date | null;
}

/** A delivery insertMatched stored already claimed by this process, and until when. */
export interface ClaimedOnInsert {
  id: string;
  lease_until: Date;
}

/** What insertMatched stored: how many deliveries, and which of them already claimed. */
export interface MatchedInsert {
  inserted: number;
  claimed: ClaimedOnInsert[];
}

/**
 * Deliveries this process can send at once, stored already claimed (`sending`, leased) instead of
 * pending then claimed: one write and one claim statement fewer each. One is stored pending after
 * all while an open delivery of its entity exists, so entity order holds whatever the
 * subscription's `ordering`; the caller offers at most one per (subscription, entity).
 */
export interface MatchedHandOver {
  ids: ReadonlySet<string>;
  leaseMs: number;
}

/** The values of one matched delivery in insertMatched, the last saying whether it is handed over. */
const NEW_DELIVERY_COLUMNS = 10;

const NO_HAND_OVER: MatchedHandOver = { ids: new Set(), leaseMs: 0 };

/**
 * Parameters arrive untyped, so the VALUES columns are text and cast here. Whole milliseconds, as
 * a claim's lease: it identifies the claim in release().
 */
function insertMatchedQuery(rows: number) {
  const lease = `$${rows * NEW_DELIVERY_COLUMNS + 1}`;
  return defineQuery<InsertedRow>(`INSERT INTO deliveries (tenant_id, id, subscription_id, change_id, event_type, entity_key, body, change_time, trace_context, status, lease_until)
       SELECT v.tenant_id::uuid, v.id, v.subscription_id, v.change_id, v.event_type, v.entity_key, v.body,
              v.change_time::timestamptz, v.trace_context::jsonb,
              CASE WHEN v.claimed THEN 'sending' ELSE 'pending' END,
              CASE WHEN v.claimed THEN date_trunc('milliseconds', now() + ${lease}::int * interval '1 millisecond') END
         FROM (SELECT w.*, w.hand_over::boolean AND NOT EXISTS (
                 SELECT 1 FROM deliveries e
                  WHERE e.subscription_id = w.subscription_id AND e.entity_key = w.entity_key
                    AND e.status IN ('pending', 'sending')) AS claimed
                 FROM (VALUES ${valuesList(rows, NEW_DELIVERY_COLUMNS)})
                   AS w(tenant_id, id, subscription_id, change_id, event_type, entity_key, body, change_time, trace_context, hand_over)
              ) v
       ON CONFLICT DO NOTHING RETURNING id, lease_until`);
}

// The subscription's columns ride in `due`, so the UPDATE joins deliveries by primary key only:
// joined to subscriptions as well, Postgres planned it through (tenant_id, subscription_id), one
// walk over each subscription's whole delivery history per claim (10-20 ms at 30,000 rows).
// Exported for the test that reads its plan.
export const CLAIM_DUE = defineQuery<ClaimedDelivery>(`WITH due AS (
         SELECT c.tenant_id, c.id, s.endpoint, s.headers, s.signature_scheme, s.secret_sealed,
                s.previous_secret_sealed, s.previous_secret_expires_at, s.failing_since, s.ordering
           FROM subscriptions s
         CROSS JOIN LATERAL (
           SELECT d.tenant_id, d.id, d.next_attempt_at, d.seq FROM deliveries d
            WHERE d.subscription_id = s.id AND d.status = 'pending' AND d.next_attempt_at <= now()
              AND (s.ordering = 'none' OR NOT EXISTS (
                    SELECT 1 FROM deliveries e
                     WHERE e.subscription_id = d.subscription_id AND e.entity_key = d.entity_key
                       AND e.seq < d.seq AND e.status IN ('pending', 'sending')))
            ORDER BY d.next_attempt_at, d.seq
            LIMIT GREATEST(0, $2 - COALESCE((SELECT n FROM unnest($4::text[], $5::int[]) AS busy(id, n)
                                              WHERE busy.id = s.id), 0))
            FOR UPDATE OF d SKIP LOCKED
         ) c
         WHERE s.status = 'active'
         ORDER BY c.next_attempt_at, c.seq
         LIMIT $1
       )
       -- Whole milliseconds: the lease comes back as a JS Date and identifies this claim in release().
       UPDATE deliveries d SET status = 'sending',
              lease_until = date_trunc('milliseconds', now() + $3 * interval '1 millisecond')
         FROM due
        WHERE d.tenant_id = due.tenant_id AND d.id = due.id
       RETURNING d.tenant_id, d.id, d.subscription_id, d.event_type, d.entity_key, d.body, d.attempts, d.change_time, d.lease_until, d.trace_context,
                 due.endpoint, due.headers, due.signature_scheme, due.secret_sealed, due.previous_secret_sealed,
                 due.previous_secret_expires_at, due.failing_since, due.ordering`);

const RELEASE_CLAIMED = defineQuery(`UPDATE deliveries d SET status = 'pending', lease_until = NULL
         FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS x(tenant_id, id, lease_until)
        WHERE d.tenant_id = x.tenant_id AND d.id = x.id AND d.status = 'sending'
          AND d.lease_until = x.lease_until`);

const RECORD_ATTEMPTS = defineQuery(`WITH x AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::int[], $6::int[],
                              $7::text[], $8::text[], $9::text[], $10::timestamptz[])
           AS x(tenant_id, attempt_id, delivery_id, attempted_at, code, duration_ms, error, response, status, next_at)
       ), logged AS (
         INSERT INTO delivery_attempts (tenant_id, id, delivery_id, attempted_at, status_code, duration_ms, error, response_body)
         SELECT x.tenant_id, x.attempt_id, x.delivery_id, x.attempted_at, x.code, x.duration_ms, x.error, x.response
           FROM x JOIN deliveries d ON d.tenant_id = x.tenant_id AND d.id = x.delivery_id
         ON CONFLICT DO NOTHING
       )
       UPDATE deliveries d SET status = x.status, attempts = d.attempts + 1, lease_until = NULL,
              next_attempt_at = COALESCE(x.next_at, d.next_attempt_at), last_status_code = x.code,
              last_error = x.error, completed_at = CASE WHEN x.status = 'pending' THEN NULL ELSE now() END
         FROM x WHERE d.tenant_id = x.tenant_id AND d.id = x.delivery_id AND d.status = 'sending'`);

/** Replay's window: finished deliveries of one subscription whose change falls in [since, until). */
const REPLAY_WINDOW = `tenant_id = $1 AND subscription_id = $2 AND change_time >= $3 AND change_time < $4
          AND status IN ('succeeded', 'failed')`;

/**
 * A successful attempt answered 2xx (retry-policy.ts); the latest failure is looked for over the
 * whole log, not only the window, so a quiet subscription still shows when it last went wrong.
 */
const STATS_OF = defineQuery<DeliveryStatsRow>(`WITH mine AS (
         SELECT id, status, created_at FROM deliveries WHERE tenant_id = $1 AND subscription_id = $2
       ), counts AS (
         SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
                count(*) FILTER (WHERE status = 'failed')::int AS failed,
                count(*) FILTER (WHERE status IN ('pending', 'sending'))::int AS pending
           FROM mine WHERE created_at >= now() - $3 * interval '1 second'
       ), latency AS (
         SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a.duration_ms) AS p50_ms,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY a.duration_ms) AS p95_ms
           FROM delivery_attempts a JOIN mine ON mine.id = a.delivery_id
          WHERE a.tenant_id = $1 AND a.attempted_at >= now() - $3 * interval '1 second'
            AND a.status_code BETWEEN 200 AND 299
       ), last_failure AS (
         SELECT a.attempted_at, a.status_code, a.error
           FROM delivery_attempts a JOIN mine ON mine.id = a.delivery_id
          WHERE a.tenant_id = $1 AND (a.status_code IS NULL OR a.status_code NOT BETWEEN 200 AND 299)
          ORDER BY a.attempted_at DESC, a.id DESC LIMIT 1
       )
       SELECT counts.succeeded, counts.failed, counts.pending, latency.p50_ms, latency.p95_ms,
              f.attempted_at AS last_failure_at, f.status_code AS last_failure_status_code,
              f.error AS last_failure_error
         FROM counts CROSS JOIN latency LEFT JOIN last_failure f ON true`);

/**
 * Newest first across the tenant's subscriptions: each subscription's newest rows by the
 * (tenant, subscription, seq) index, merged, instead of one more index every delivery write pays for.
 * Only keys are merged, so the bodies read are the page's alone.
 */
const LIST_BY_TENANT = defineQuery<DeliveryRow>(`WITH newest AS (
         SELECT d.id, d.seq FROM subscriptions s
         CROSS JOIN LATERAL (
           SELECT d.id, d.seq FROM deliveries d
            WHERE d.tenant_id = s.tenant_id AND d.subscription_id = s.id
              AND ($3::text IS NULL OR d.status = $3) AND ($4::bigint IS NULL OR d.seq < $4)
            ORDER BY d.seq DESC LIMIT $5
         ) d
         WHERE s.tenant_id = $1 AND ($2::text IS NULL OR s.id = $2)
         ORDER BY d.seq DESC LIMIT $5
       )
       SELECT d.* FROM newest JOIN deliveries d ON d.tenant_id = $1 AND d.id = newest.id
        ORDER BY d.seq DESC`);

// Over the partial index of open deliveries; `sending` counts as what it was before its claim.
const COUNT_OPEN = defineQuery<{ pending: number; retrying: number }>(
  `SELECT count(*) FILTER (WHERE attempts = 0)::int AS pending, count(*) FILTER (WHERE attempts > 0)::int AS retrying
     FROM deliveries WHERE status IN ('pending', 'sending')`,
);

/** Every query on deliveries and attempts. API queries are tenant first; the workers serve all tenants. */
@Injectable()
export class DeliveryRepository {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /**
   * In the consumer's transaction where given; a (subscription, change) pair seen before is skipped.
   * The deliveries `handOver` names are stored already claimed where their entity allows.
   * One parameter per value (valuesList): the bodies are most of the bytes.
   */
  async insertMatched(
    deliveries: NewDelivery[],
    manager: EntityManager | DataSource = this.dataSource,
    handOver: MatchedHandOver = NO_HAND_OVER,
  ): Promise<MatchedInsert> {
    const stored: MatchedInsert = { inserted: 0, claimed: [] };
    for (const chunk of chunksForParameters(deliveries, NEW_DELIVERY_COLUMNS)) {
      const rows = await rowsOf(manager, insertMatchedQuery(chunk.length), [
        ...chunk.flatMap((d) => [
          d.tenantId,
          d.id,
          d.subscriptionId,
          d.changeId,
          d.eventType,
          d.entityKey,
          d.body,
          d.changeTime,
          d.traceContext ? JSON.stringify(d.traceContext) : null,
          handOver.ids.has(d.id),
        ]),
        handOver.leaseMs,
      ]);
      stored.inserted += rows.length;
      for (const { id, lease_until } of rows) if (lease_until) stored.claimed.push({ id, lease_until });
    }
    return stored;
  }

  /**
   * Claims up to `limit` due deliveries, for any one subscription at most `perSubscription` minus
   * what this process already holds for it (`held`: in flight or ready), so a slow endpoint only
   * ever holds its own slots; rows another worker holds are skipped. With `ordering = entity` a
   * delivery waits while an earlier one of the same entity is still open. Claimed rows are leased:
   * if this process dies, they come back.
   */
  async claim(
    limit: number,
    perSubscription: number,
    leaseMs: number,
    held: ReadonlyMap<string, number>,
  ): Promise<ClaimedDelivery[]> {
    return rowsOf(this.dataSource, CLAIM_DUE, [
      limit,
      perSubscription,
      leaseMs,
      [...held.keys()],
      [...held.values()],
    ]);
  }

  /**
   * Claimed deliveries this process will not send after all go back to the queue: only while the
   * claim is still this one (same lease), never a row the sweep has since given to another worker.
   */
  async release(deliveries: Array<Pick<ClaimedDelivery, 'tenant_id' | 'id' | 'lease_until'>>): Promise<void> {
    await execute(this.dataSource, RELEASE_CLAIMED, [
      deliveries.map((d) => d.tenant_id),
      deliveries.map((d) => d.id),
      deliveries.map((d) => d.lease_until),
    ]);
  }

  /** Deliveries whose sender died mid-attempt go back to the queue, same id and body. */
  /** Open deliveries of every tenant (for /metrics): never attempted, and attempted with more to come. */
  async countOpenByState(): Promise<{ pending: number; retrying: number }> {
    const [row] = await rowsOf(this.dataSource, COUNT_OPEN);
    return { pending: row?.pending ?? 0, retrying: row?.retrying ?? 0 };
  }

  async releaseExpiredLeases(): Promise<number> {
    return affectedBy(
      this.dataSource,
      defineQuery(`UPDATE deliveries SET status = 'pending', lease_until = NULL
        WHERE status = 'sending' AND lease_until < now()`),
    );
  }

  /**
   * Many attempts' outcomes in one statement (so one round trip, and atomic): the attempt log rows
   * and the deliveries' new state. A delivery deleted meanwhile (its subscription was) is skipped,
   * not a foreign-key error that would hold every other outcome back.
   */
  async recordAttempts(records: AttemptRecord[]): Promise<void> {
    if (records.length === 0) return;
    await execute(this.dataSource, RECORD_ATTEMPTS, [
      records.map((r) => r.tenantId),
      records.map((r) => r.attemptId),
      records.map((r) => r.deliveryId),
      records.map((r) => r.attemptedAt),
      records.map((r) => r.statusCode),
      records.map((r) => r.durationMs),
      records.map((r) => r.error),
      records.map((r) => r.responseBody),
      records.map((r) => r.status),
      records.map((r) => r.nextAttemptAt),
    ]);
  }

  async findById(tenantId: string, id: string): Promise<DeliveryRow | null> {
    const rows = await rowsOf(
      this.dataSource,
      defineQuery<DeliveryRow>('SELECT * FROM deliveries WHERE tenant_id = $1 AND id = $2'),
      [tenantId, id],
    );
    return rows[0] ?? null;
  }

  /** Newest first; `beforeSeq` is the cursor of the previous page. */
  listBySubscription(
    tenantId: string,
    subscriptionId: string,
    filter: { status?: DeliveryStatus; beforeSeq?: string; limit: number },
  ): Promise<DeliveryRow[]> {
    return rowsOf(
      this.dataSource,
      defineQuery<DeliveryRow>(`SELECT * FROM deliveries
        WHERE tenant_id = $1 AND subscription_id = $2
          AND ($3::text IS NULL OR status = $3) AND ($4::bigint IS NULL OR seq < $4)
        ORDER BY seq DESC LIMIT $5`),
      [tenantId, subscriptionId, filter.status ?? null, filter.beforeSeq ?? null, filter.limit],
    );
  }

  /** Newest first over all the tenant's subscriptions, or the one `subscriptionId` names. */
  listByTenant(tenantId: string, filter: DeliveryLogFilter): Promise<DeliveryRow[]> {
    return rowsOf(this.dataSource, LIST_BY_TENANT, [
      tenantId,
      filter.subscriptionId ?? null,
      filter.status ?? null,
      filter.beforeSeq ?? null,
      filter.limit,
    ]);
  }

  /** Counts of the deliveries created in the last `windowSeconds`, latency of its successful attempts. */
  async statsOf(tenantId: string, subscriptionId: string, windowSeconds: number): Promise<DeliveryStatsRow> {
    const [row] = await rowsOf(this.dataSource, STATS_OF, [tenantId, subscriptionId, windowSeconds]);
    return row!;
  }

  attemptsOf(tenantId: string, deliveryIds: string[]): Promise<AttemptRow[]> {
    return rowsOf(
      this.dataSource,
      defineQuery<AttemptRow>(`SELECT delivery_id, id, attempted_at, status_code, duration_ms, error, response_body
         FROM delivery_attempts WHERE tenant_id = $1 AND delivery_id = ANY($2::text[])
        ORDER BY attempted_at, id`),
      [tenantId, deliveryIds],
    );
  }

  /** Sends a finished or waiting delivery again now, with a fresh retry schedule. Null if it is being sent. */
  async requeue(tenantId: string, id: string): Promise<DeliveryRow | null> {
    const rows = await rowsOf(
      this.dataSource,
      defineQuery<DeliveryRow>(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), completed_at = NULL
        WHERE tenant_id = $1 AND id = $2 AND status <> 'sending' RETURNING *`),
      [tenantId, id],
    );
    return rows[0] ?? null;
  }

  /** Replay: every finished delivery of the subscription whose change falls in the window. */
  async requeueWindow(tenantId: string, subscriptionId: string, since: Date, until: Date): Promise<number> {
    return affectedBy(
      this.dataSource,
      defineQuery(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), completed_at = NULL
        WHERE ${REPLAY_WINDOW}`),
      [tenantId, subscriptionId, since, until],
    );
  }

  /** What requeueWindow would queue again, queuing nothing: a replay's dry run. */
  async countWindow(tenantId: string, subscriptionId: string, since: Date, until: Date): Promise<number> {
    const [row] = await rowsOf(
      this.dataSource,
      defineQuery<{ count: number }>(`SELECT count(*)::int AS count FROM deliveries WHERE ${REPLAY_WINDOW}`),
      [tenantId, subscriptionId, since, until],
    );
    return row?.count ?? 0;
  }
}
