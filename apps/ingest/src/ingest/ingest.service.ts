import {
  BadRequestException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  NotFoundException,
  PayloadTooLargeException,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { BusUnavailableError, EVENT_BUS, type EventBus, type OutgoingMessage } from '@hub/bus';
import {
  buildRawDelivery,
  entityKey,
  SOURCE_ID,
  topicNames,
  type CanonicalEvent,
  type Lane,
  type Topics,
} from '@hub/contracts';
import type { InboundRequest } from '@hub/signing';
import { logTenant } from '@hub/telemetry';
import { IngestConfig } from '../config/ingest.config.js';
import { SourceStatsBuffer } from '../sources/source-stats.buffer.js';
import { SourceRepository } from '../sources/source.repository.js';
import { OVER_SHARE } from '../sources/source-settings.js';
import type { ResolvedSource } from '../sources/source.service.js';
import { UnmappedRepository } from '../unmapped/unmapped.repository.js';
import { bodyForListing } from '../unmapped/unmapped.service.js';
import type { MappedEvent } from '../providers/provider.js';
import { redactedHeaders, redactedQuery } from '../providers/raw-request.js';
import { providerOf } from '../providers/registry.js';
import {
  canonicalMessagesByTopic,
  mapDelivery,
  rawDeliveryId,
  type UnmappedCode,
} from './delivery-mapping.js';
import { countIngested, countRefused } from './ingest.metrics.js';
import { FairShare, TenantQueueFullException } from './fair-share.js';
import { isJsonContentType, parseJsonObject } from './ingest-request.js';
import { rejected } from './ingest.rejections.js';
import { SourceCache } from './source-cache.js';

export interface IngestRequest extends InboundRequest {
  query: Record<string, unknown>;
  contentType: string | undefined;
  receivedAt: Date;
}

export type IngestOutcome =
  | { kind: 'accepted'; accepted: number; event_ids: string[] }
  | { kind: 'unmapped'; reason: string; code: UnmappedCode }
  | { kind: 'handshake' };

/** The bus could not take the write: the provider must retry (503 + Retry-After). */
export class RetryLaterException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super('the event bus cannot take the delivery right now; retry later', HttpStatus.SERVICE_UNAVAILABLE);
  }
}

/** The tenant is over its fair share and the source asked for 429s rather than the slow lane. */
export class OverShareException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      `the tenant is over its fair share of events; retry in ${retryAfterSeconds} s (the source's settings.over_share is retry-later)`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

const RETRY_AFTER_SECONDS = 5;

/**
 * One provider request: find the source, check media type, verify the raw bytes, parse and
 * validate the body, map it, publish every event and the raw delivery, and only then answer. A
 * verified body that cannot be mapped is kept (raw topic and the unmapped list) and answered 200:
 * a 4xx would make the provider retry until it gives up, and the data would be gone.
 */
@Injectable()
export class IngestService {
  private readonly topics: Topics;

  constructor(
    private readonly sources: SourceCache,
    private readonly stats: SourceRepository,
    private readonly counters: SourceStatsBuffer,
    private readonly unmapped: UnmappedRepository,
    private readonly config: IngestConfig,
    private readonly fairShare: FairShare,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {
    this.topics = topicNames(config.TOPIC_PREFIX);
  }

  async ingest(sourceId: string, request: IngestRequest): Promise<IngestOutcome> {
    const source = SOURCE_ID.test(sourceId) ? await this.lookUp(sourceId) : null;
    if (!source) {
      countRefused(null, 'unknown_source');
      throw rejected({ sourceId }, new NotFoundException(`no source ${sourceId}`), 'unknown_source');
    }
    logTenant(source.tenantId);
    const counted = { tenantId: source.tenantId, sourceId: source.id };
    try {
      const outcome = await this.accept(source, request);
      if (outcome.kind === 'unmapped') this.counters.unmapped(counted, outcome.reason);
      else this.counters.accepted(counted);
      countIngested(source, outcome);
      return outcome;
    } catch (caught) {
      const error = caught instanceof BusUnavailableError ? this.retryLater() : caught;
      const reason = rejectionReason(error);
      this.counters.rejected(counted, reason, (error as Error).message);
      countRefused(source, reason);
      rejected({ sourceId: source.id, provider: source.provider }, error, reason, caught);
      throw error;
    }
  }

  /** On the Postgres-log transport the database is the bus: unreachable means "retry later", not 500. */
  private async lookUp(sourceId: string): Promise<ResolvedSource | null> {
    try {
      return await this.sources.get(sourceId);
    } catch (error) {
      const cause = new BusUnavailableError(`source lookup failed: ${(error as Error).message}`);
      throw rejected({ sourceId }, this.retryLater(), 'bus_unavailable', cause);
    }
  }

  /** Its line is the rejection's, which names the bus's error. */
  private retryLater(): RetryLaterException {
    return new RetryLaterException(RETRY_AFTER_SECONDS);
  }

  private async accept(source: ResolvedSource, request: IngestRequest): Promise<IngestOutcome> {
    if (!isJsonContentType(request.contentType)) {
      throw new UnsupportedMediaTypeException('send the body as application/json');
    }
    this.verify(source, request);
    // Verified first: requests that fail it never take a slot of the tenant's.
    return this.fairShare.run(source.tenantId, () => this.mapAndPublish(source, request));
  }

  private async mapAndPublish(source: ResolvedSource, request: IngestRequest): Promise<IngestOutcome> {
    const mapped = await mapDelivery(source, request, parseJsonObject(request.body));
    if (mapped.kind === 'handshake') {
      await this.publishRaw(source, request, mapped.key, []);
      await this.stats.markValidated(source.tenantId, source.id);
      return { kind: 'handshake' };
    }
    if (mapped.kind === 'unmapped') {
      await this.keepUnmapped(source, request, mapped.key, mapped.reason);
      return { kind: 'unmapped', reason: mapped.reason, code: mapped.code };
    }
    const { events } = mapped;
    const limit = this.config.INGEST_MAX_EVENTS_PER_REQUEST;
    if (events.length > limit) {
      throw new PayloadTooLargeException(
        `the request makes ${events.length} events; at most ${limit} are taken per request (INGEST_MAX_EVENTS_PER_REQUEST)`,
      );
    }
    await this.publishAccepted(source, request, mapped.key, events);
    return { kind: 'accepted', accepted: events.length, event_ids: events.map((e) => e.id) };
  }

  /**
   * The fair-share lane of a request, or a 429 for a source that asks for one (its provider retries)
   * while the tenant is over its share. A request larger than the whole burst could never pass: it
   * takes the slow lane, whatever the source asks.
   */
  private laneOrRetryLater(source: ResolvedSource, events: number): Lane {
    const refuse =
      source.settings['over_share'] === OVER_SHARE.retryLater &&
      events <= this.config.INGEST_TENANT_EVENT_BURST;
    if (!refuse) return this.fairShare.laneFor(source.tenantId, events);
    const seconds = this.fairShare.secondsUntilShare(source.tenantId, events);
    if (seconds > 0) throw new OverShareException(seconds);
    return 'main';
  }

  private verify(source: ResolvedSource, request: IngestRequest): void {
    if (source.verification === 'none') return;
    if (!source.secret) throw new UnauthorizedException('the source has no secret configured');
    const result = providerOf(source.provider).verify(request, source.secret, source.settings);
    if (!result.ok) throw new UnauthorizedException({ message: result.detail, reason: result.reason });
  }

  /** The raw topic holds the exact bytes for a later remap; the table lists it for people. */
  private async keepUnmapped(source: ResolvedSource, request: IngestRequest, key: string, reason: string) {
    const id = await this.publishRaw(source, request, key, [], reason);
    const listed = bodyForListing(request.body);
    await this.unmapped
      .record({
        tenantId: source.tenantId,
        sourceId: source.id,
        id,
        receivedAt: request.receivedAt,
        reason,
        bodyBytes: request.body.length,
        body: listed.body,
        bodyTruncated: listed.truncated,
      })
      .catch((error: unknown) => {
        // The retry records the same id once: ask for it rather than lose the listing.
        throw new BusUnavailableError(`could not list the unmapped delivery: ${(error as Error).message}`);
      });
  }

  /**
   * The canonical events and the raw delivery in one append: on the Postgres log they commit
   * together, and on either transport the request waits for one durable write, not two.
   */
  private async publishAccepted(
    source: ResolvedSource,
    request: IngestRequest,
    key: string,
    events: Array<CanonicalEvent & { topic: MappedEvent['topic'] }>,
  ): Promise<void> {
    const lane = this.laneOrRetryLater(source, events.length);
    const canonical = canonicalMessagesByTopic(this.topics, events, lane);
    const raw = this.rawDeliveryMessage(
      source,
      request,
      key,
      events.map((e) => e.id),
    );
    await this.bus.publishAll([
      ...[...canonical].map(([topic, messages]) => ({ topic, messages })),
      { topic: this.topics.rawDeliveries, messages: [raw.message] },
    ]);
  }

  private async publishRaw(
    source: ResolvedSource,
    request: IngestRequest,
    key: string,
    eventIds: string[],
    unmappedReason?: string,
  ): Promise<string> {
    const raw = this.rawDeliveryMessage(source, request, key, eventIds, unmappedReason);
    await this.bus.publish(this.topics.rawDeliveries, [raw.message]);
    return raw.id;
  }

  private rawDeliveryMessage(
    source: ResolvedSource,
    request: IngestRequest,
    key: string,
    eventIds: string[],
    unmappedReason?: string,
  ): { id: string; message: OutgoingMessage } {
    const raw = buildRawDelivery({
      id: rawDeliveryId(source.id, key),
      tenant: source.tenantId,
      sourceId: source.id,
      provider: source.provider,
      receivedAt: request.receivedAt,
      headers: redactedHeaders(source, request),
      query: redactedQuery(source, request),
      contentType: request.contentType ?? null,
      body: request.body,
      eventIds,
      unmappedReason,
    });
    return {
      id: raw.id,
      message: {
        key: entityKey(source.tenantId, source.id),
        value: JSON.stringify(raw),
        headers: { 'content-type': 'application/json' },
      },
    };
  }
}

function rejectionReason(error: unknown): string {
  if (error instanceof RetryLaterException) return 'bus_unavailable';
  if (error instanceof OverShareException) return 'over_share';
  if (error instanceof TenantQueueFullException) return 'tenant_queue_full';
  if (error instanceof UnauthorizedException) {
    const body = error.getResponse() as { reason?: string };
    return `unauthorized_${(body.reason ?? 'signature').replace(/-/g, '_')}`;
  }
  if (error instanceof UnsupportedMediaTypeException) return 'unsupported_media_type';
  if (error instanceof PayloadTooLargeException) return 'too_many_events';
  if (error instanceof BadRequestException) return 'invalid_body';
  return 'internal_error';
}
