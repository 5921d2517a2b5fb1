import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { SOURCE_ID, type ProviderId } from '@hub/contracts';
import { SecretBox } from '@hub/persistence';
import { decodeCursor, pageLimitOf, pageOf, type Page, type PageQuery } from '@hub/runtime';
import { IngestConfig } from '../config/ingest.config.js';
import { providerOf } from '../providers/registry.js';
import type { CreateSourceDto } from './dto/create-source.dto.js';
import type { SourceStatsView, SourceView } from './dto/source.view.js';
import type { UpdateSourceDto } from './dto/update-source.dto.js';
import { resolveSettings } from './source-settings.js';
import type { SourceEntity } from './source.entity.js';
import { SourceRepository } from './source.repository.js';

/** A source as ingest needs it: with its secret opened. */
export interface ResolvedSource {
  tenantId: string;
  id: string;
  provider: ProviderId;
  verification: SourceEntity['verification'];
  secret: string | null;
  settings: Record<string, string>;
}

@Injectable()
export class SourceService {
  private readonly box: SecretBox;

  constructor(
    private readonly sources: SourceRepository,
    private readonly config: IngestConfig,
  ) {
    this.box = new SecretBox(config.SECRETS_KEY);
  }

  async create(tenantId: string, dto: CreateSourceDto): Promise<SourceView> {
    const verification = dto.verification ?? 'signature';
    if (verification === 'none' && dto.secret) {
      throw new BadRequestException('secret must be absent when verification is none');
    }
    const id = `src_${randomBytes(12).toString('base64url')}`;
    const settings = resolveSettings(dto.provider, dto.settings);
    const secret =
      verification === 'none' ? null : (dto.secret ?? providerOf(dto.provider).secret.generate());
    if (secret) assertSecretFits(dto.provider, secret);
    const quota = this.config.INGEST_SOURCE_QUOTA;
    const created = await this.sources.createWithinQuota(
      {
        tenantId,
        id,
        provider: dto.provider,
        name: dto.name,
        verification,
        settings,
        secretSealed: secret ? this.box.seal(secret, sealBinding(tenantId, id)) : null,
      },
      quota,
    );
    if ('existing' in created) {
      throw new ForbiddenException(
        `this tenant has reached its quota of ${quota} sources (it has ${created.existing}); delete one first`,
      );
    }
    const view = this.toView(created.source, secret);
    // A generated secret is shown once; a secret the caller chose is not echoed back.
    return dto.secret || !secret ? omitSecret(view) : { ...view, secret };
  }

  /** By id, which never changes: pages stay stable while sources are added. */
  async list(tenantId: string, query: PageQuery): Promise<Page<SourceView>> {
    const limit = pageLimitOf(query);
    const after = query.cursor ? decodeCursor(query.cursor, [SOURCE_ID])[0] : undefined;
    const rows = await this.sources.listByTenant(tenantId, limit + 1, after);
    return pageOf(
      rows,
      limit,
      (row) => [row.id],
      (row) => omitSecret(this.toView(row, null)),
    );
  }

  async get(tenantId: string, id: string): Promise<SourceView> {
    return omitSecret(this.toView(await this.require(tenantId, id), null));
  }

  async update(tenantId: string, id: string, dto: UpdateSourceDto): Promise<SourceView> {
    const current = await this.require(tenantId, id);
    if (dto.secret && current.verification === 'none') {
      throw new BadRequestException('secret cannot be set on a source created with verification none');
    }
    if (dto.secret) assertSecretFits(current.provider, dto.secret);
    const updated = await this.sources.update(tenantId, id, {
      ...(dto.name !== undefined ? { name: dto.name } : {}),
      ...(dto.settings !== undefined
        ? { settings: resolveSettings(current.provider, dto.settings, current.settings) }
        : {}),
      ...(dto.secret ? { secretSealed: this.box.seal(dto.secret, sealBinding(tenantId, id)) } : {}),
    });
    return omitSecret(this.toView(updated ?? current, null));
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!(await this.sources.delete(tenantId, id))) throw notFound(id);
  }

  async stats(tenantId: string, id: string): Promise<SourceStatsView> {
    await this.require(tenantId, id);
    const [stats, windows] = await Promise.all([
      this.sources.findStats(tenantId, id),
      this.sources.findWindows(tenantId, id),
    ]);
    return {
      source_id: id,
      last_delivery_at: stats?.lastDeliveryAt?.toISOString() ?? null,
      last_accepted_at: stats?.lastAcceptedAt?.toISOString() ?? null,
      accepted: Number(stats?.accepted ?? 0),
      unmapped: {
        count: Number(stats?.unmapped ?? 0),
        last_at: stats?.lastUnmappedAt?.toISOString() ?? null,
        last_reason: stats?.lastUnmappedReason ?? null,
      },
      rejected: stats?.rejected ?? {},
      last_hour: windows.hour,
      last_day: windows.day,
    };
  }

  /**
   * A new generated secret, shown once in the answer; the old one stops verifying at once (within
   * the ingest's one-second source cache): the provider must be given the new one.
   */
  async rotateSecret(tenantId: string, id: string): Promise<SourceView> {
    const current = await this.require(tenantId, id);
    if (current.verification === 'none') {
      throw new ConflictException('the source was created with verification none: it has no secret');
    }
    const secret = providerOf(current.provider).secret.generate();
    const updated = await this.sources.update(tenantId, id, {
      secretSealed: this.box.seal(secret, sealBinding(tenantId, id)),
    });
    if (!updated) throw notFound(id);
    return { ...this.toView(updated, secret), secret };
  }

  /**
   * For ingest: the sources behind these ingest URLs, in the order asked, secrets opened; null for
   * an unknown id, and an Error for a source whose secret does not open (that one alone fails).
   */
  async resolveAllForIngest(ids: readonly string[]): Promise<Array<ResolvedSource | null | Error>> {
    const rows = new Map((await this.sources.findAllForIngest(ids)).map((row) => [row.id, row]));
    return ids.map((id) => {
      const row = rows.get(id);
      if (!row) return null;
      try {
        return this.resolved(row);
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    });
  }

  private resolved(row: SourceEntity): ResolvedSource {
    return {
      tenantId: row.tenantId,
      id: row.id,
      provider: row.provider,
      verification: row.verification,
      settings: row.settings,
      secret: row.secretSealed ? this.box.open(row.secretSealed, sealBinding(row.tenantId, row.id)) : null,
    };
  }

  private async require(tenantId: string, id: string): Promise<SourceEntity> {
    const row = await this.sources.findById(tenantId, id);
    if (!row) throw notFound(id);
    return row;
  }

  private toView(row: SourceEntity, secret: string | null): SourceView {
    return {
      id: row.id,
      provider: row.provider,
      name: row.name,
      verification: row.verification,
      settings: row.settings,
      ingest_url: this.ingestUrl(row, secret),
      validated_at: row.validatedAt?.toISOString() ?? null,
      created_at: row.createdAt.toISOString(),
      updated_at: row.updatedAt.toISOString(),
    };
  }

  /** The URL a provider is sent to; some (a token in the URL) need the secret in it. */
  private ingestUrl(row: SourceEntity, secret: string | null): string {
    const base = this.config.PUBLIC_INGEST_URL ?? `http://127.0.0.1:${this.config.INGEST_PORT}`;
    const url = `${base.replace(/\/$/, '')}/v1/ingest/${row.id}`;
    const withSecret = providerOf(row.provider).ingestUrl;
    return withSecret && row.verification !== 'none' ? withSecret(url, secret) : url;
  }
}

function assertSecretFits(provider: ProviderId, secret: string): void {
  const problem = providerOf(provider).secret.problem(secret);
  if (problem) throw new BadRequestException(problem);
}

function sealBinding(tenantId: string, sourceId: string): string {
  return `sources/${tenantId}/${sourceId}`;
}

function omitSecret(view: SourceView): SourceView {
  const { secret: _secret, ...rest } = view;
  return rest;
}

function notFound(id: string): NotFoundException {
  return new NotFoundException(`no source ${id}`);
}
