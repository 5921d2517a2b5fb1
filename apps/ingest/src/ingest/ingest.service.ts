import {
  BadRequestException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { createHash } from 'node:crypto';
import { BusUnavailableError, EVENT_BUS, type EventBus, type OutgoingMessage } from '@hub/bus';
import {
  canonicalEntityId,
  canonicalTopic,
  CLOUDEVENTS_CONTENT_TYPE,
  deterministicEventId,
  entityKey,
  topicNames,
  type CanonicalEvent,
  type Lane,
  type RawDelivery,
  type Topics,
} from '@hub/contracts';
import type { InboundRequest } from '@hub/signing';
import { IngestConfig } from '../config/ingest.config.js';
import { SourceRepository } from '../sources/source.repository.js';
import type { ResolvedSource } from '../sources/source.service.js';
import { ADAPTERS, type MappedDelivery, type MappedEvent } from './adapters/index.js';
import { FairShare } from './fair-share.js';
import { isJsonContentType, parseJsonObject } from './ingest-request.js';
import { SourceCache } from './source-cache.js';

export interface IngestRequest extends InboundRequest {
  query: Record<string, unknown>;
  contentType: string | undefined;
  receivedAt: Date;
}

export type IngestOutcome =
  { kind: 'accepted'; accepted: number; event_ids: string[] } | { kind: 'handshake' };

/** The bus could not take the write: the provider must retry (503 + Retry-After). */
export class RetryLaterException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super('the event bus cannot take the delivery right now; retry later', HttpStatus.SERVICE_UNAVAILABLE);
  }
}

const RETRY_AFTER_SECONDS = 5;
const SOURCE_ID = /^src_[A-Za-z0-9_-]{1,64}$/;
const REDACTED = '[redacted]';

/**
 * One provider request: find the source, check media type, verify the raw bytes, parse and
 * validate the body, map it, publish every event and the raw delivery, and only then answer.
 */
@Injectable()
export class IngestService {
  private readonly logger = new Logger('Ingest');
  private readonly topics: Topics;

  constructor(
    private readonly sources: SourceCache,
    private readonly stats: SourceRepository,
    private readonly config: IngestConfig,
    private readonly fairShare: FairShare,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {
    this.topics = topicNames(config.TOPIC_PREFIX);
  }

  async ingest(sourceId: string, request: IngestRequest): Promise<IngestOutcome> {
    const source = SOURCE_ID.test(sourceId) ? await this.lookUp(sourceId) : null;
    if (!source) throw new NotFoundException(`no source ${sourceId}`);
    try {
      const outcome = await this.accept(source, request);
      await this.record(source, () => this.stats.recordAccepted(source.tenantId, source.id));
      return outcome;
    } catch (caught) {
      const error = caught instanceof BusUnavailableError ? this.retryLater(caught) : caught;
      const reason = rejectionReason(error);
      await this.record(source, () =>
        this.stats.recordRejected(source.tenantId, source.id, reason, (error as Error).message),
      );
      throw error;
    }
  }

  /** On the Postgres-log transport the database is the bus: unreachable means "retry later", not 500. */
  private async lookUp(sourceId: string): Promise<ResolvedSource | null> {
    try {
      return await this.sources.get(sourceId);
    } catch (error) {
      throw this.retryLater(new BusUnavailableError(`source lookup failed: ${(error as Error).message}`));
    }
  }

  private retryLater(error: BusUnavailableError): RetryLaterException {
    this.logger.warn(`answering 503: ${error.message}`);
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
    const adapter = ADAPTERS[source.provider];
    const payload = await validated(adapter.payload, parseJsonObject(request.body));
    const mapped = adapter.map(payload, request, source);
    const key = deliveryKey(mapped, request);
    if (mapped.kind === 'handshake') {
      await this.publishRaw(source, request, key, []);
      await this.stats.markValidated(source.tenantId, source.id);
      return { kind: 'handshake' };
    }
    const events = mapped.events.map((event, index) => this.envelope(source, request, key, event, index));
    await this.publishCanonical(source, events, this.fairShare.laneFor(source.tenantId, events.length));
    await this.publishRaw(
      source,
      request,
      key,
      events.map((e) => e.id),
    );
    return { kind: 'accepted', accepted: events.length, event_ids: events.map((e) => e.id) };
  }

  private verify(source: ResolvedSource, request: IngestRequest): void {
    if (source.verification === 'none') return;
    if (!source.secret) throw new UnauthorizedException('the source has no secret configured');
    const result = ADAPTERS[source.provider].verify(source, request, source.secret);
    if (!result.ok) throw new UnauthorizedException({ message: result.detail, reason: result.reason });
  }

  private envelope(
    source: ResolvedSource,
    request: IngestRequest,
    key: string,
    event: MappedEvent,
    index: number,
  ): CanonicalEvent & { topic: MappedEvent['topic'] } {
    const subject = canonicalEntityId(source.provider, event.externalId);
    return {
      topic: event.topic,
      specversion: '1.0',
      id: deterministicEventId([source.id, key, String(index), event.type, subject]),
      source: `/sources/${source.id}`,
      type: event.type,
      subject,
      time: normaliseTime(event.time) ?? request.receivedAt.toISOString(),
      datacontenttype: 'application/json',
      tenant: source.tenantId,
      provider: source.provider,
      data: { id: subject, ...event.data },
    };
  }

  private async publishCanonical(
    source: ResolvedSource,
    events: Array<CanonicalEvent & { topic: MappedEvent['topic'] }>,
    lane: Lane,
  ): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const { topic, ...event } of events) {
      const name = canonicalTopic(this.topics, topic, lane);
      const messages = byTopic.get(name) ?? [];
      messages.push({
        key: entityKey(source.tenantId, event.subject),
        value: JSON.stringify(event),
        headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, 'ce-id': event.id, 'ce-type': event.type },
      });
      byTopic.set(name, messages);
    }
    for (const [topic, messages] of byTopic) await this.bus.publish(topic, messages);
  }

  private async publishRaw(source: ResolvedSource, request: IngestRequest, key: string, eventIds: string[]) {
    const raw: RawDelivery = {
      id: deterministicEventId([source.id, key, 'raw']),
      tenant: source.tenantId,
      source: source.id,
      provider: source.provider,
      received_at: request.receivedAt.toISOString(),
      headers: redactedHeaders(source, request),
      query: redactedQuery(source, request),
      content_type: request.contentType ?? null,
      body_base64: request.body.toString('base64'),
      event_ids: eventIds,
    };
    await this.bus.publish(this.topics.rawDeliveries, [
      {
        key: entityKey(source.tenantId, source.id),
        value: JSON.stringify(raw),
        headers: { 'content-type': 'application/json' },
      },
    ]);
  }

  /** Counters must never turn an answer into a failure: a failed update is logged and dropped. */
  private async record(source: ResolvedSource, update: () => Promise<void>): Promise<void> {
    await update().catch((error: unknown) =>
      this.logger.warn(`could not update the stats of ${source.id}: ${(error as Error).message}`),
    );
  }
}

/** The provider's delivery id when it gives one, else the body's hash: a retry maps to the same ids. */
function deliveryKey(mapped: MappedDelivery, request: InboundRequest): string {
  if (mapped.kind === 'events' && mapped.deliveryId) return `id:${mapped.deliveryId}`;
  return `sha256:${createHash('sha256').update(request.body).digest('hex')}`;
}

async function validated<T extends object>(schema: new () => T, body: Record<string, unknown>): Promise<T> {
  const payload = plainToInstance(schema, body);
  const errors = await validate(payload, { forbidUnknownValues: false, validationError: { target: false } });
  if (errors.length > 0) throw new BadRequestException(flatten(errors).join('; '));
  return payload;
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = `${prefix}${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? `${prefix}${message}` : `${path}: ${message}`,
    );
    return [...own, ...flatten(error.children ?? [], `${path}.`)];
  });
}

function normaliseTime(time: string | undefined): string | undefined {
  if (!time) return undefined;
  const parsed = new Date(time);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
}

const KEPT_HEADERS = [
  'content-type',
  'user-agent',
  'x-pylon-observer-signature',
  'x-pylon-observer-timestamp',
  'x-observer-signature',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-webhook-secret',
];

/** Headers that matter for verification and mapping; shared secrets replaced, HMAC signatures kept. */
function redactedHeaders(source: ResolvedSource, request: InboundRequest): Record<string, string> {
  const secretHeaders = [
    'x-webhook-secret',
    'authorization',
    (source.settings['header_name'] ?? '').toLowerCase(),
  ];
  const kept = new Set([...KEPT_HEADERS, ...secretHeaders]);
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!kept.has(name) || value === undefined) continue;
    result[name] = secretHeaders.includes(name) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

function redactedQuery(source: ResolvedSource, request: IngestRequest): Record<string, string> {
  return Object.fromEntries(
    Object.entries(request.query).map(([name, value]) => [
      name,
      name === 'token' && source.provider === 'solarproof' ? REDACTED : String(value),
    ]),
  );
}

function rejectionReason(error: unknown): string {
  if (error instanceof RetryLaterException) return 'bus_unavailable';
  if (error instanceof UnauthorizedException) {
    const body = error.getResponse() as { reason?: string };
    return `unauthorized_${(body.reason ?? 'signature').replace(/-/g, '_')}`;
  }
  if (error instanceof UnsupportedMediaTypeException) return 'unsupported_media_type';
  if (error instanceof BadRequestException) return 'invalid_body';
  return 'internal_error';
}
