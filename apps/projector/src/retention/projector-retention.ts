import type { TransportName } from '@hub/bus';
import { backgroundPruner, logTopicJob, type PruneJob } from '@hub/runtime';
import { ProjectorConfig } from '../config/projector.config.js';
import type { EntityType } from '../projection/projection.repository.js';
import { ProjectorLifecycleRepository, type EntityCursor } from './projector-lifecycle.repository.js';

const ENTITY_TYPES: EntityType[] = ['project', 'customer', 'monitor'];

/**
 * What the projector prunes: the state changes it publishes (on the Postgres log) and, when set,
 * entity history. Read models themselves are the current state and are never pruned.
 */
export function projectorPruneJobs(config: ProjectorConfig, transport: TransportName): PruneJob[] {
  const stateChanges = logTopicJob(
    'state_changes',
    config,
    transport,
    'stateChanges',
    config.RETENTION_STATE_CHANGES_DAYS,
  );
  const history = historyJob(config.RETENTION_HISTORY_DAYS);
  return stateChanges ? [stateChanges, history] : [history];
}

/**
 * History is pruned per entity (each keeps its current version, and its oldest kept version needs
 * the whole document), so the job walks every entity of every type, `limit` entities a batch, from
 * where the previous batch stopped; each round starts the walk again.
 */
export function historyJob(retentionDays: number): PruneJob {
  const repository = new ProjectorLifecycleRepository();
  let typeIndex = 0;
  let cursor: EntityCursor | null = null;
  return {
    kind: 'entity_history',
    retentionDays,
    startRound: () => {
      typeIndex = 0;
      cursor = null;
    },
    pruneBatch: async (manager, cutoff, limit) => {
      const type = ENTITY_TYPES[typeIndex]!;
      const entities = await repository.nextEntities(manager, type, cursor, limit);
      const deleted = await repository.pruneHistory(manager, type, entities, cutoff);
      cursor = entities.length === limit ? entities[entities.length - 1]! : null;
      if (!cursor) typeIndex++;
      return { deleted, more: typeIndex < ENTITY_TYPES.length };
    },
  };
}

/** The projector's pruner, run in the background from start-up until shutdown. */
export const ProjectorRetention = backgroundPruner(ProjectorConfig, projectorPruneJobs);
