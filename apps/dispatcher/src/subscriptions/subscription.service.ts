import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { buildOperationalEvent, fieldPatternProblem, OPERATIONAL_TYPES } from '@hub/contracts';
import { decodeCursor, pageLimitOf, pageOf, type Page, type PageQuery } from '@hub/runtime';
import { generateOutboundSecret } from '@hub/signing';
import { DispatcherConfig } from '../config/dispatcher.config.js';
import { OperationalEvents } from '../operational/operational-events.js';
import { OutboundClient } from '../outbound/outbound.client.js';
import { customHeadersProblem } from '../outbound/webhook-request.js';
import type { CreateSubscriptionDto } from './dto/create-subscription.dto.js';
import type { SubscriptionView } from './dto/subscription.view.js';
import type { UpdateSubscriptionDto } from './dto/update-subscription.dto.js';
import { EndpointValidator } from './endpoint-validator.js';
import { countDisabled } from './subscription.metrics.js';
import { headersAsGiven, headersToStore, redactHeaders, type StoredHeaders } from './subscription-headers.js';
import { secretProblem, SubscriptionSecrets } from './subscription-secrets.js';
import {
  SubscriptionRepository,
  type SubscriptionChanges,
  type SubscriptionRow,
} from './subscription.repository.js';

const SUBSCRIPTION_ID = /^sub_[A-Za-z0-9_-]{1,64}$/;
export const DISABLED_BY_API = 'disabled through the API';

@Injectable()
export class SubscriptionService {
  constructor(
    private readonly subscriptions: SubscriptionRepository,
    private readonly secrets: SubscriptionSecrets,
    private readonly validator: EndpointValidator,
    private readonly client: OutboundClient,
    private readonly events: OperationalEvents,
    private readonly config: DispatcherConfig,
  ) {}

  async create(tenantId: string, dto: CreateSubscriptionDto): Promise<SubscriptionView> {
    const scheme = dto.signature_scheme ?? 'standard-webhooks';
    await this.checkFields(dto);
    if (dto.secret) assertValid(secretProblem(scheme, dto.secret));
    const id = `sub_${randomBytes(12).toString('base64url')}`;
    const secret = dto.secret ?? generateOutboundSecret();
    const enabled = dto.enabled ?? true;
    const created = await this.subscriptions.createWithinQuota(
      {
        tenant_id: tenantId,
        id,
        endpoint: dto.endpoint,
        description: dto.description ?? null,
        event_types: dto.event_types ?? [],
        trigger_fields: dto.trigger_fields ?? null,
        payload_fields: dto.payload_fields ?? null,
        headers: this.headersToStore(tenantId, id, dto.headers ?? {}, dto.secret_headers, {}),
        signature_scheme: scheme,
        secret_sealed: this.secrets.seal(tenantId, id, secret),
        ordering: dto.ordering ?? 'none',
        status: enabled ? 'pending' : 'disabled',
        status_reason: enabled ? 'waiting for the endpoint to accept webhook.validate' : DISABLED_BY_API,
      },
      this.config.DISPATCH_SUBSCRIPTION_QUOTA,
    );
    if (!created) {
      throw new ForbiddenException(
        `this tenant has reached its quota of ${this.config.DISPATCH_SUBSCRIPTION_QUOTA} subscriptions; delete one first`,
      );
    }
    let row = await this.require(tenantId, id);
    if (enabled) row = await this.validator.validate(row);
    const view = toView(row);
    // A generated secret is shown once; a secret the caller chose is not echoed back.
    return dto.secret ? view : { ...view, secret };
  }

  /** By id, which never changes: pages stay stable while subscriptions are added. */
  async list(tenantId: string, query: PageQuery): Promise<Page<SubscriptionView>> {
    const limit = pageLimitOf(query);
    const after = query.cursor ? decodeCursor(query.cursor, [SUBSCRIPTION_ID])[0] : undefined;
    const rows = await this.subscriptions.listByTenant(tenantId, limit + 1, after);
    return pageOf(rows, limit, (row) => [row.id], toView);
  }

  async get(tenantId: string, id: string): Promise<SubscriptionView> {
    return toView(await this.require(tenantId, id));
  }

  async update(tenantId: string, id: string, dto: UpdateSubscriptionDto): Promise<SubscriptionView> {
    const current = await this.require(tenantId, id);
    await this.checkFields(dto);
    if (dto.secret)
      throw new BadRequestException(
        'secret cannot be changed here: use POST /v1/subscriptions/:id/rotate-secret',
      );
    if (dto.signature_scheme && dto.signature_scheme !== current.signature_scheme) {
      throw new BadRequestException('signature_scheme cannot change: create a new subscription instead');
    }
    const repointed = dto.endpoint !== undefined && dto.endpoint !== current.endpoint;
    const headers =
      dto.headers !== undefined || dto.secret_headers !== undefined
        ? this.headersToStore(
            tenantId,
            id,
            dto.headers ?? headersAsGiven(current.headers),
            dto.secret_headers,
            current.headers,
          )
        : undefined;
    const changes: SubscriptionChanges = {
      ...pick(dto, ['endpoint', 'description', 'event_types', 'ordering']),
      ...(headers ? { headers } : {}),
      ...('trigger_fields' in dto ? { trigger_fields: dto.trigger_fields ?? null } : {}),
      ...('payload_fields' in dto ? { payload_fields: dto.payload_fields ?? null } : {}),
      ...(repointed ? { validated_at: null } : {}),
      ...this.statusChange(current, dto.enabled, repointed),
    };
    let row = (await this.subscriptions.update(tenantId, id, changes)) ?? current;
    if (row.status === 'pending' && (repointed || current.status !== 'pending')) {
      row = await this.validator.validate(row);
    }
    if (current.status !== 'disabled' && row.status === 'disabled') countDisabled('api');
    if (current.status === 'disabled' && row.status === 'active') await this.publishRecovered(row);
    return toView(row);
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!(await this.subscriptions.delete(tenantId, id))) throw notFound(id);
  }

  /** Runs the handshake again, e.g. once the endpoint has been fixed. */
  async revalidate(tenantId: string, id: string): Promise<SubscriptionView> {
    const current = await this.require(tenantId, id);
    if (current.status === 'disabled') {
      throw new ConflictException('the subscription is disabled: enable it with PATCH {"enabled": true}');
    }
    return toView(await this.validator.validate(current));
  }

  /** A new secret; the old one keeps signing beside it for DISPATCH_ROTATION_GRACE. */
  async rotateSecret(tenantId: string, id: string) {
    const current = await this.require(tenantId, id);
    const secret = generateOutboundSecret();
    const expires = new Date(Date.now() + this.config.DISPATCH_ROTATION_GRACE);
    await this.subscriptions.update(tenantId, id, {
      secret_sealed: this.secrets.seal(tenantId, id, secret),
      previous_secret_sealed: current.secret_sealed,
      previous_secret_expires_at: expires,
    });
    return { id, secret, previous_secret_expires_at: expires.toISOString() };
  }

  async require(tenantId: string, id: string): Promise<SubscriptionRow> {
    const row = await this.subscriptions.findById(tenantId, id);
    if (!row) throw notFound(id);
    return row;
  }

  /** Credentials and marked headers sealed; a "[redacted]" value keeps the stored one. */
  private headersToStore(
    tenantId: string,
    id: string,
    given: Record<string, string>,
    marked: readonly string[] | undefined,
    current: StoredHeaders,
  ): StoredHeaders {
    const stored = headersToStore(given, marked ?? [], current, (name, value) =>
      this.secrets.sealHeader(tenantId, id, name, value),
    );
    if (typeof stored === 'string') throw new BadRequestException(stored);
    return stored;
  }

  /**
   * The status a PATCH leads to: `enabled: false` disables; re-enabling, or a new endpoint, goes
   * back to active when the endpoint was validated before, else to pending for a handshake.
   */
  private statusChange(current: SubscriptionRow, enabled: boolean | undefined, repointed: boolean) {
    if (enabled === false) return { status: 'disabled' as const, status_reason: DISABLED_BY_API };
    const reenabled = enabled === true && current.status === 'disabled';
    // A disabled subscription stays disabled until it is enabled, whatever else changes.
    if (current.status === 'disabled' && !reenabled) return {};
    if (!reenabled && !repointed) return {};
    if (!repointed && current.validated_at) {
      return { status: 'active' as const, status_reason: null, failing_since: null };
    }
    return {
      status: 'pending' as const,
      status_reason: 'waiting for the endpoint to accept webhook.validate',
    };
  }

  private async publishRecovered(row: SubscriptionRow): Promise<void> {
    await this.events.publish(
      buildOperationalEvent(
        OPERATIONAL_TYPES.subscriptionRecovered,
        row.tenant_id,
        row.id,
        { subscription_id: row.id, endpoint: row.endpoint },
        [row.updated_at.toISOString()],
      ),
    );
  }

  /** Field patterns, headers and endpoint, each error naming the offending field. */
  private async checkFields(dto: UpdateSubscriptionDto): Promise<void> {
    assertFieldPatterns(dto);
    if (dto.headers) assertValid(customHeadersProblem(dto.headers));
    if (dto.endpoint !== undefined) assertValid(await this.client.endpointProblem(dto.endpoint));
  }
}

export function toView(row: SubscriptionRow): SubscriptionView {
  return {
    id: row.id,
    endpoint: row.endpoint,
    description: row.description,
    event_types: row.event_types,
    trigger_fields: row.trigger_fields,
    payload_fields: row.payload_fields,
    ...redactHeaders(row.headers),
    signature_scheme: row.signature_scheme,
    ordering: row.ordering,
    enabled: row.status !== 'disabled',
    status: row.status,
    status_reason: row.status_reason,
    validated_at: row.validated_at?.toISOString() ?? null,
    failing_since: row.failing_since?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/**
 * Each trigger and payload pattern against the grammar, the error naming the offending one
 * (`prefix` places the fields inside a larger body, such as a preview's `subscription.`).
 */
export function assertFieldPatterns(
  dto: Pick<CreateSubscriptionDto, 'trigger_fields' | 'payload_fields'>,
  prefix = '',
): void {
  for (const field of ['trigger_fields', 'payload_fields'] as const) {
    (dto[field] ?? []).forEach((pattern, i) => {
      const problem = fieldPatternProblem(pattern);
      if (problem)
        throw new BadRequestException(`${prefix}${field}[${i}] ${JSON.stringify(pattern)} ${problem}`);
    });
  }
}

function assertValid(problem: string | null): void {
  if (problem) throw new BadRequestException(problem);
}

function pick<T extends object, K extends keyof T>(source: T, keys: K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(
    keys.filter((key) => source[key] !== undefined).map((key) => [key, source[key]]),
  ) as Partial<Pick<T, K>>;
}

function notFound(id: string): NotFoundException {
  return new NotFoundException(`no subscription ${id}`);
}
