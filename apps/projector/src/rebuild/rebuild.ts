import { Logger } from '@nestjs/common';
import { applyIsolatingPoison, readToEnd, type ConsumedMessage, type EventBus } from '@hub/bus';
import { canonicalTopics, parseCanonicalEvent, topicNames } from '@hub/contracts';
import { defineQuery, execute } from '@hub/persistence';
import type { DataSource, EntityManager } from 'typeorm';
import { ProjectionRepository } from '../projection/projection.repository.js';
import { ProjectionService } from '../projection/projection.service.js';
import { UnifiedRepository } from '../unified/unified.repository.js';
import { UnifiedService } from '../unified/unified.service.js';

export interface RebuildOptions {
  topicPrefix: string;
  /** Only this tenant's read models; all tenants when absent. */
  tenantId?: string;
  /** Derive unified records too (UNIFIED_RECORDS); on when absent. */
  unifiedRecords?: boolean;
}

export interface RebuildResult {
  events: number;
  applied: number;
  /** Events that fail on their own, as the live projector dead-letters them: skipped here too. */
  poisoned: number;
  /**
   * Events of tenants this database has no row for, per tenant id: skipped. Topics can be shared
   * (another installation with the same TOPIC_PREFIX, a tenant deleted here), and a read model of
   * a tenant nobody can log in as would only be a leak waiting for a tenant id to be reused.
   */
  skipped_unknown_tenants: Record<string, number>;
  seconds: number;
}

const REBUILD_BATCH = 500;
const READ_MODEL_TABLES = [
  'projects',
  'customers',
  'monitors',
  'entity_history',
  'activities',
  'applied_events',
  // Derived from the records, the rules and the decisions; the rules and decisions are commands, kept.
  'unified_links',
  'unified_link_keys',
  'unified_records',
];

/**
 * Rebuilds the read models from the canonical topics, the source of truth (docs/adr/0004).
 *
 * Reads every canonical event up to the topics' current end with a throwaway consumer group,
 * then, holding the lock every live projector batch takes in shared mode, wipes the read models
 * (of one tenant, or all) and applies the events again in one transaction. Live batches wait for
 * the commit and then find their events already applied. State changes are not published again:
 * downstream already has them.
 */
export async function rebuildReadModels(
  dataSource: DataSource,
  bus: EventBus,
  options: RebuildOptions,
): Promise<RebuildResult> {
  const logger = new Logger('Rebuild');
  const started = Date.now();
  const events = await readAllEvents(bus, options.topicPrefix);
  logger.log(`read ${events.length} canonical events`);
  const repository = new ProjectionRepository();
  const unifiedRepository = new UnifiedRepository();
  const unifiedOn = options.unifiedRecords ?? true;
  const projection = new ProjectionService(
    repository,
    new UnifiedService(unifiedRepository, { enabled: unifiedOn }),
  );
  let applied = 0;
  let poisoned = 0;
  let skipped: Record<string, number> = {};
  await dataSource.transaction(async (manager) => {
    await repository.holdRebuildLockExclusive(manager);
    await wipe(manager, options.tenantId);
    const wanted = events
      .map((message) => parseCanonicalEvent(message.value))
      // Messages that are not canonical events were dead-lettered by the live projector already.
      .flatMap((parsed) => ('value' in parsed ? [parsed.value] : []))
      .filter((event) => !options.tenantId || event.tenant === options.tenantId);
    const known = await repository.knownTenants(manager, [...new Set(wanted.map((e) => e.tenant))]);
    const valid = wanted.filter((event) => known.has(event.tenant));
    skipped = countByTenant(wanted.filter((event) => !known.has(event.tenant)));
    for (const [tenant, count] of Object.entries(skipped))
      logger.warn(`skipped ${count} events of tenant ${tenant}: this database has no such tenant`);
    let analysedAt = 0;
    for (let i = 0; i < valid.length; i += REBUILD_BATCH) {
      // The unified tables were just wiped and grow in this one transaction, which no analyse
      // outside it sees: without statistics the planner scans a tenant per lookup (UnifiedStatistics).
      if (unifiedOn && i >= Math.max(REBUILD_BATCH, analysedAt * 2)) {
        await unifiedRepository.analyse(manager);
        analysedAt = i;
      }
      const outcome = await applyIsolatingPoison(manager, valid.slice(i, i + REBUILD_BATCH), (some) =>
        projection.applyBatch(manager, some),
      );
      for (const { item, error } of outcome.poisoned)
        logger.warn(`skipped poison event ${item.id}: ${error}`);
      poisoned += outcome.poisoned.length;
    }
    applied = valid.length - poisoned;
  });
  return {
    events: events.length,
    applied,
    poisoned,
    skipped_unknown_tenants: skipped,
    seconds: (Date.now() - started) / 1000,
  };
}

function countByTenant(events: ReadonlyArray<{ tenant: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { tenant } of events) counts[tenant] = (counts[tenant] ?? 0) + 1;
  return counts;
}

async function wipe(manager: EntityManager, tenantId: string | undefined): Promise<void> {
  for (const table of READ_MODEL_TABLES) {
    if (tenantId)
      await execute(manager, defineQuery(`DELETE FROM ${table} WHERE tenant_id = $1`), [tenantId]);
    else await execute(manager, defineQuery(`DELETE FROM ${table}`));
  }
}

/** Every message of the canonical topics (both lanes) up to their end as of now, in partition order. */
async function readAllEvents(bus: EventBus, prefix: string): Promise<ConsumedMessage[]> {
  const byPartition = new Map<string, ConsumedMessage[]>();
  await readToEnd(bus, `projector-rebuild-${Date.now()}`, canonicalTopics(topicNames(prefix)), (message) => {
    const id = `${message.topic}/${message.partition}`;
    const partition = byPartition.get(id);
    if (partition) partition.push(message);
    else byPartition.set(id, [message]);
  });
  return [...byPartition.values()].flat();
}
