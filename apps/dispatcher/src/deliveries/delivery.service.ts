import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { buildWebhookEvent, entityKey } from '@hub/contracts';
import { decodeCursor, pageLimitOf, pageOf, type Page } from '@hub/runtime';
import { SubscriptionService } from '../subscriptions/subscription.service.js';
import type { AttemptRow, DeliveryLogFilter, DeliveryRow, DeliveryStatsRow } from './delivery.repository.js';
import { DeliveryRepository } from './delivery.repository.js';
import { DeliveryWorker } from './delivery.worker.js';
import type { DeliveryView, ReplayView } from './dto/delivery.view.js';
import type { ListAllDeliveriesQuery } from './dto/list-all-deliveries.query.js';
import type { ListDeliveriesQuery } from './dto/list-deliveries.query.js';
import type { ReplayDto } from './dto/replay.dto.js';
import { STATS_WINDOWS, type StatsWindow } from './dto/subscription-stats.query.js';
import type { SubscriptionStatsView } from './dto/subscription-stats.view.js';

export const TEST_EVENT_TYPE = 'webhook.test';
/** A delivery's `seq`: the order deliveries were created in. */
const SEQ = /^\d{1,18}$/;

/** The delivery log and the ways to send again: manual retry, replay of a window, a test message. */
@Injectable()
export class DeliveryService {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly subscriptions: SubscriptionService,
    private readonly worker: DeliveryWorker,
  ) {}

  /** Newest first, each with its attempts. */
  async log(
    tenantId: string,
    subscriptionId: string,
    query: ListDeliveriesQuery,
  ): Promise<Page<DeliveryView>> {
    await this.subscriptions.require(tenantId, subscriptionId);
    return this.page(tenantId, query, (filter) =>
      this.deliveries.listBySubscription(tenantId, subscriptionId, filter),
    );
  }

  /** The same log over every subscription of the tenant, or the one `subscription_id` names. */
  async logOfTenant(tenantId: string, query: ListAllDeliveriesQuery): Promise<Page<DeliveryView>> {
    const subscriptionId = query.subscription_id;
    if (subscriptionId) await this.subscriptions.require(tenantId, subscriptionId);
    return this.page(tenantId, query, (filter) =>
      this.deliveries.listByTenant(tenantId, { ...filter, ...(subscriptionId ? { subscriptionId } : {}) }),
    );
  }

  async stats(tenantId: string, subscriptionId: string, window: StatsWindow): Promise<SubscriptionStatsView> {
    const subscription = await this.subscriptions.require(tenantId, subscriptionId);
    const row = await this.deliveries.statsOf(tenantId, subscriptionId, STATS_WINDOWS[window]);
    return { subscription_id: subscriptionId, status: subscription.status, window, ...statsView(row) };
  }

  /** One delivery and every attempt at it. */
  async get(tenantId: string, deliveryId: string): Promise<DeliveryView> {
    const row = await this.deliveries.findById(tenantId, deliveryId);
    if (!row) throw new NotFoundException(`no delivery ${deliveryId}`);
    return toView(row, await this.deliveries.attemptsOf(tenantId, [deliveryId]));
  }

  async retry(tenantId: string, deliveryId: string): Promise<DeliveryView> {
    const current = await this.deliveries.findById(tenantId, deliveryId);
    if (!current) throw new NotFoundException(`no delivery ${deliveryId}`);
    const queued = await this.deliveries.requeue(tenantId, deliveryId);
    if (!queued)
      throw new ConflictException(`delivery ${deliveryId} is being sent right now; try again shortly`);
    this.worker.wake();
    return toView(queued, await this.deliveries.attemptsOf(tenantId, [deliveryId]));
  }

  async replay(tenantId: string, subscriptionId: string, dto: ReplayDto): Promise<ReplayView> {
    await this.subscriptions.require(tenantId, subscriptionId);
    const since = new Date(dto.since);
    const until = dto.until ? new Date(dto.until) : new Date();
    if (until <= since) throw new BadRequestException('until must be later than since');
    const dryRun = dto.dry_run ?? false;
    const replayed = dryRun
      ? await this.deliveries.countWindow(tenantId, subscriptionId, since, until)
      : await this.deliveries.requeueWindow(tenantId, subscriptionId, since, until);
    if (!dryRun) this.worker.wake();
    return {
      subscription_id: subscriptionId,
      since: since.toISOString(),
      until: until.toISOString(),
      replayed,
      dry_run: dryRun,
    };
  }

  /** A `webhook.test` message through the normal path: signed, retried, logged. */
  async test(tenantId: string, subscriptionId: string): Promise<DeliveryView> {
    await this.subscriptions.require(tenantId, subscriptionId);
    const id = `dlv_${randomBytes(16).toString('hex')}`;
    const time = new Date().toISOString();
    const body = JSON.stringify(
      buildWebhookEvent({
        id,
        type: TEST_EVENT_TYPE,
        tenant: tenantId,
        subject: subscriptionId,
        time,
        data: { subscription_id: subscriptionId, message: 'a test message from the dispatcher' },
      }),
    );
    await this.deliveries.insertMatched([
      {
        tenantId,
        id,
        subscriptionId,
        changeId: `test_${id}`,
        eventType: TEST_EVENT_TYPE,
        entityKey: entityKey(tenantId, subscriptionId),
        body,
        changeTime: time,
      },
    ]);
    this.worker.wake();
    const row = await this.deliveries.findById(tenantId, id);
    return toView(row!, []);
  }

  /** One page of a log, newest first, each delivery with its attempts. */
  private async page(
    tenantId: string,
    query: ListDeliveriesQuery,
    read: (filter: DeliveryLogFilter) => Promise<DeliveryRow[]>,
  ): Promise<Page<DeliveryView>> {
    const limit = pageLimitOf(query);
    const beforeSeq = query.cursor ? decodeCursor(query.cursor, [SEQ])[0] : undefined;
    const rows = await read({
      ...(query.status ? { status: query.status } : {}),
      ...(beforeSeq ? { beforeSeq } : {}),
      limit: limit + 1,
    });
    const attempts = await this.deliveries.attemptsOf(
      tenantId,
      rows.slice(0, limit).map((row) => row.id),
    );
    return pageOf(
      rows,
      limit,
      (row) => [row.seq],
      (row) => toView(row, attempts),
    );
  }
}

function statsView(
  row: DeliveryStatsRow,
): Pick<SubscriptionStatsView, 'deliveries' | 'success_rate' | 'latency_ms' | 'last_failure'> {
  const finished = row.succeeded + row.failed;
  return {
    deliveries: { succeeded: row.succeeded, failed: row.failed, pending: row.pending },
    success_rate: finished > 0 ? row.succeeded / finished : null,
    latency_ms: { p50: row.p50_ms, p95: row.p95_ms },
    last_failure: row.last_failure_at
      ? {
          at: row.last_failure_at.toISOString(),
          status_code: row.last_failure_status_code,
          error: row.last_failure_error,
        }
      : null,
  };
}

function toView(row: DeliveryRow, attempts: AttemptRow[]): DeliveryView {
  return {
    id: row.id,
    subscription_id: row.subscription_id,
    change_id: row.change_id,
    event_type: row.event_type,
    subject: row.entity_key.slice(row.entity_key.indexOf('/') + 1),
    status: row.status,
    attempt_count: row.attempts,
    next_attempt_at: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    created_at: row.created_at.toISOString(),
    completed_at: row.completed_at?.toISOString() ?? null,
    attempts: attempts
      .filter((attempt) => attempt.delivery_id === row.id)
      .map((attempt) => ({
        id: attempt.id,
        attempted_at: attempt.attempted_at.toISOString(),
        status_code: attempt.status_code,
        duration_ms: attempt.duration_ms,
        error: attempt.error,
        response_body: attempt.response_body,
      })),
  };
}
