import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { readToEnd, type EventBus } from '@hub/bus';
import { parseRawDelivery, topicNames, type RawDelivery } from '@hub/contracts';
import type { DataSource } from 'typeorm';
import { canonicalMessagesByTopic, mapDelivery, type MappingOutcome } from '../ingest/delivery-mapping.js';
import { parseJsonObject } from '../ingest/ingest-request.js';
import type { MappingSource } from '../providers/provider.js';
import { SourceRepository } from '../sources/source.repository.js';
import { UnmappedRepository } from '../unmapped/unmapped.repository.js';

const logger = new Logger('Remap');

export interface RemapOptions {
  topicPrefix: string;
  sourceId: string;
  /** Only deliveries received at or after this time. */
  since?: Date;
}

export interface RemapResult {
  /** The source's unmapped deliveries read from the raw topic (each once, retries included). */
  read: number;
  remapped: number;
  still_unmapped: number;
  /** Canonical events published for the remapped ones. */
  events: number;
}

/**
 * Maps a source's unmapped deliveries again with the current adapters and the source's current
 * settings, reading them from the raw-deliveries topic (which holds their exact bytes), and
 * publishes the events that can now be made. The ids are the ones ingest would have given, so
 * running it twice publishes the same events again and consumers, which deduplicate by id, change
 * nothing.
 */
export async function remapUnmapped(
  dataSource: DataSource,
  bus: EventBus,
  options: RemapOptions,
): Promise<RemapResult> {
  const row = await new SourceRepository(dataSource).findForIngest(options.sourceId);
  if (!row) throw new Error(`no source ${options.sourceId}`);
  const source: MappingSource = {
    tenantId: row.tenantId,
    id: row.id,
    provider: row.provider,
    settings: row.settings,
  };
  const topics = topicNames(options.topicPrefix);
  const deliveries = new Map<string, RawDelivery>();
  await readToEnd(bus, `ingest-remap-${randomUUID()}`, [topics.rawDeliveries], (message) => {
    const parsed = parseRawDelivery(message.value);
    // Only a raw delivery can be mapped again: anything else on the topic is reported and left.
    if ('error' in parsed) {
      logger.warn(`skipping ${message.topic}/${message.partition}@${message.offset}: ${parsed.error}`);
      return;
    }
    const delivery = parsed.value;
    const wanted =
      delivery.unmapped === true &&
      delivery.source === source.id &&
      delivery.tenant === source.tenantId &&
      (!options.since || new Date(delivery.received_at) >= options.since);
    if (wanted) deliveries.set(delivery.id, delivery);
  });
  const unmapped = new UnmappedRepository(dataSource);
  const result: RemapResult = { read: deliveries.size, remapped: 0, still_unmapped: 0, events: 0 };
  for (const delivery of deliveries.values()) {
    const outcome = await mapAgain(source, delivery);
    if (outcome.kind === 'unmapped') {
      result.still_unmapped++;
      continue;
    }
    const events = outcome.kind === 'events' ? outcome.events : [];
    // The main lane: a remap is run by hand, and its events are the tenant's own backlog.
    const byTopic = canonicalMessagesByTopic(topics, events, 'main');
    await bus.publishAll([...byTopic].map(([topic, messages]) => ({ topic, messages })));
    await unmapped.markRemapped(
      source.tenantId,
      source.id,
      delivery.id,
      events.map((event) => event.id),
    );
    result.remapped++;
    result.events += events.length;
  }
  return result;
}

/** The delivery as ingest saw it: the exact bytes, the headers kept for mapping, the receive time. */
function mapAgain(source: MappingSource, delivery: RawDelivery): Promise<MappingOutcome> {
  const body = Buffer.from(delivery.body_base64, 'base64');
  const request = {
    headers: Object.fromEntries(
      Object.entries(delivery.headers).map(([name, value]) => [name.toLowerCase(), value]),
    ),
    query: delivery.query,
    body,
    receivedAt: new Date(delivery.received_at),
  };
  return mapDelivery(source, request, parseJsonObject(body));
}
